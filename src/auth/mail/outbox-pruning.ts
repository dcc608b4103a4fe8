import type { DataSource } from 'typeorm';
import { sql } from '../sql';

export interface OutboxPruneSettings {
  /** MAIL_RETENTION_DAYS: sent and failed mails are deleted this many days after they were queued. */
  retentionDays: number;
  /** ACCOUNT_PRUNE_BATCH_SIZE. */
  batchSize: number;
}

/**
 * Deletes sent and failed mails queued more than the retention ago (issue 22 M9), in batches with
 * SKIP LOCKED, by the created_at index; pending mail is left to the sender. Sent mail has already
 * lost its recipient and parameters (markMailSent); a failed one keeps them until this runs, for
 * the admin's outbox view. Returns how many rows it deleted.
 */
export async function pruneMailOutbox(dataSource: DataSource, settings: OutboxPruneSettings): Promise<number> {
  let deleted = 0;
  for (;;) {
    const { count } = await sql(
      dataSource,
      `DELETE FROM auth.mail_outbox WHERE id IN (
         SELECT id FROM auth.mail_outbox
          WHERE created_at < statement_timestamp() - make_interval(days => $1) AND status <> 'pending'
          LIMIT $2 FOR UPDATE SKIP LOCKED)`,
      [settings.retentionDays, settings.batchSize],
    );
    deleted += count;
    if (count < settings.batchSize) break;
  }
  return deleted;
}
