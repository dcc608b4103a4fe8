import type { DataSource } from 'typeorm';
import type { Logger } from '../../logging/logger';
import { repeatWithJitter } from '../periodic-task';
import { sql } from '../sql';

export interface TokenPruneSettings {
  /** ACCOUNT_TOKEN_RETENTION_SECONDS: a spent or expired link token is deleted this long after. */
  retentionSeconds: number;
  /** ACCOUNT_PRUNE_BATCH_SIZE: rows deleted per statement, so one run never holds many row locks. */
  batchSize: number;
}

/**
 * Deletes mail-link tokens (auth.account_tokens) spent, superseded or expired more than the
 * retention ago (issue 22 M9): a dead token is refused whether or not its row exists, and the row
 * holds an address (an email change's new_email). Found by LEAST(used_at, expires_at), the
 * expression index idx_account_tokens_done_at. Batched DELETEs with SKIP LOCKED: safe from every
 * instance at once and through a pooler. Returns how many rows it deleted.
 */
export async function pruneAccountTokens(dataSource: DataSource, settings: TokenPruneSettings): Promise<number> {
  let deleted = 0;
  for (;;) {
    const { count } = await sql(
      dataSource,
      `DELETE FROM auth.account_tokens WHERE id IN (
         SELECT id FROM auth.account_tokens
          WHERE LEAST(used_at, expires_at) < statement_timestamp() - make_interval(secs => $1)
          LIMIT $2 FOR UPDATE SKIP LOCKED)`,
      [settings.retentionSeconds, settings.batchSize],
    );
    deleted += count;
    if (count < settings.batchSize) break;
  }
  return deleted;
}

/**
 * Runs `prune` about every `intervalMs` (jittered, periodic-task.ts) until the returned function
 * is called; logs what it deleted, and failures (retried at the next tick). For the account-data
 * pruners (link tokens, the mail outbox).
 */
export function schedulePrune(prune: () => Promise<number>, logger: Logger, what: string, intervalMs: number): () => void {
  return repeatWithJitter(async () => {
    try {
      const deleted = await prune();
      if (deleted) logger.info({ [what]: deleted }, `pruned ${what}`);
    } catch (err) {
      logger.warn({ err }, `pruning ${what} failed; will retry`);
    }
  }, intervalMs);
}
