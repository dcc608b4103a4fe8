import type { DataSource } from 'typeorm';
import type { Logger } from '../../logging/logger';
import { repeatWithJitter } from '../periodic-task';
import { sql } from '../sql';

/**
 * Deletes guests nobody uses any more: created longer than `lifetimeSeconds` ago, no session used
 * within it, and nothing another service keeps for them (an installation keeps its guest, whose
 * data it is). Their sessions, identities and links go with them (ON DELETE CASCADE). Batched
 * DELETEs that skip locked rows: safe from every instance at once, and through a pooler.
 */
export async function pruneUnusedGuests(dataSource: DataSource, lifetimeSeconds: number, batchSize = 500): Promise<number> {
  let total = 0;
  for (;;) {
    const { count } = await sql(
      dataSource,
      `DELETE FROM auth.users WHERE id IN (
         SELECT u.id FROM auth.users u
          WHERE u.role = 'guest' AND u.created_at < statement_timestamp() - make_interval(secs => $1)
            AND NOT EXISTS (SELECT 1 FROM auth.sessions s WHERE s.user_id = u.id AND s.last_used_at > statement_timestamp() - make_interval(secs => $1))
            AND NOT EXISTS (SELECT 1 FROM installation.installations i WHERE i.user_id = u.id)
          LIMIT $2 FOR UPDATE SKIP LOCKED)`,
      [lifetimeSeconds, batchSize],
    );
    total += count;
    if (count < batchSize) return total;
  }
}

/** Runs pruneUnusedGuests every `intervalMs` (jittered) until the returned function is called; failures are logged and retried. */
export function scheduleGuestPruning(dataSource: DataSource, logger: Logger, lifetimeSeconds: number, intervalMs = 60 * 60_000): () => void {
  return repeatWithJitter(async () => {
    try {
      const pruned = await pruneUnusedGuests(dataSource, lifetimeSeconds);
      if (pruned) logger.info({ guests: pruned }, 'pruned unused guest accounts');
    } catch (err) {
      logger.warn({ err }, 'pruning guests failed; will retry');
    }
  }, intervalMs);
}
