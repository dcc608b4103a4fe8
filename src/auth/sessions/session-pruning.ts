import type { DataSource } from 'typeorm';
import type { Logger } from '../../logging/logger';
import { sql } from '../sql';
import { repeatWithJitter } from '../periodic-task';

export interface PruneSettings {
  /** Ended sessions (revoked or expired) are kept this long for audit, then deleted with their tokens. */
  endedSessionRetentionSeconds: number;
  /** Rows deleted per statement, so one run never holds many row locks or a long transaction. */
  batchSize: number;
}

export const DEFAULT_PRUNE_SETTINGS: PruneSettings = { endedSessionRetentionSeconds: 86_400, batchSize: 1_000 };

export interface PruneResult {
  sessions: number;
  refreshTokens: number;
}

/**
 * Deletes what the token tables no longer need: sessions that ended more than the retention ago
 * (their refresh tokens go with them, ON DELETE CASCADE), and refresh tokens past their own
 * expiry in live sessions — every rotation adds a row, and an expired token is refused as
 * invalid whether or not its row exists, so deleting it weakens no reuse detection.
 * Plain batched DELETEs: safe to run from every instance at once and through a pooler.
 */
export async function pruneEndedSessions(dataSource: DataSource, settings = DEFAULT_PRUNE_SETTINGS): Promise<PruneResult> {
  const result: PruneResult = { sessions: 0, refreshTokens: 0 };
  for (;;) {
    const { count } = await sql(
      dataSource,
      `DELETE FROM auth.sessions WHERE id IN (
         SELECT id FROM auth.sessions
          WHERE revoked_at < statement_timestamp() - make_interval(secs => $1)
             OR expires_at < statement_timestamp() - make_interval(secs => $1)
          LIMIT $2 FOR UPDATE SKIP LOCKED)`,
      [settings.endedSessionRetentionSeconds, settings.batchSize],
    );
    result.sessions += count;
    if (count < settings.batchSize) break;
  }
  for (;;) {
    const { count } = await sql(
      dataSource,
      `DELETE FROM auth.refresh_tokens WHERE id IN (
         SELECT id FROM auth.refresh_tokens WHERE expires_at < statement_timestamp() LIMIT $1 FOR UPDATE SKIP LOCKED)`,
      [settings.batchSize],
    );
    result.refreshTokens += count;
    if (count < settings.batchSize) break;
  }
  return result;
}

/**
 * Runs pruneEndedSessions every `intervalMs` (with jitter, so instances spread out) until the
 * returned function is called. Failures are logged and retried at the next tick.
 */
export function schedulePruning(dataSource: DataSource, logger: Logger, intervalMs = 10 * 60_000): () => void {
  return repeatWithJitter(async () => {
    try {
      const pruned = await pruneEndedSessions(dataSource);
      if (pruned.sessions || pruned.refreshTokens) logger.info(pruned, 'pruned ended sessions and expired refresh tokens');
    } catch (err) {
      logger.warn({ err }, 'pruning sessions failed; will retry');
    }
  }, intervalMs);
}
