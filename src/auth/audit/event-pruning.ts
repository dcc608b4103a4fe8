import type { DataSource } from 'typeorm';
import type { Logger } from '../../logging/logger';
import { sql } from '../sql';
import { repeatWithJitter } from '../periodic-task';

export interface EventPruneSettings {
  /** AUTH_EVENTS_RETENTION_DAYS: events older than this are deleted. */
  retentionDays: number;
  /** Rows deleted per statement, so one run never holds many row locks or a long transaction. */
  batchSize: number;
}

/**
 * Deletes audit events older than the retention, in batches, like pruneEndedSessions. The table
 * has no index on occurred_at (one less index to write on every login): ids increase in write
 * order, so the run first finds the oldest event still young enough to keep, walking the primary
 * key from its old end (it reads only rows it is about to delete), and then deletes every lower
 * id in batches. Every row below that id is older than the retention by construction. Safe to
 * run from every instance at once and through a pooler. Returns how many rows it deleted.
 */
export async function pruneAuditEvents(dataSource: DataSource, settings: EventPruneSettings): Promise<number> {
  const { rows } = await sql<{ id: string }>(
    dataSource,
    `SELECT id FROM auth.audit_events WHERE occurred_at >= statement_timestamp() - make_interval(days => $1) ORDER BY id LIMIT 1`,
    [settings.retentionDays],
  );
  const keepFrom = rows[0]?.id;
  let deleted = 0;
  for (;;) {
    const { count } = await sql(
      dataSource,
      keepFrom === undefined
        ? `DELETE FROM auth.audit_events WHERE id IN (
             SELECT id FROM auth.audit_events WHERE occurred_at < statement_timestamp() - make_interval(days => $1)
              ORDER BY id LIMIT $2 FOR UPDATE SKIP LOCKED)`
        : `DELETE FROM auth.audit_events WHERE id IN (
             SELECT id FROM auth.audit_events WHERE id < $1::bigint ORDER BY id LIMIT $2 FOR UPDATE SKIP LOCKED)`,
      [keepFrom ?? settings.retentionDays, settings.batchSize],
    );
    deleted += count;
    if (count < settings.batchSize) break;
  }
  return deleted;
}

/**
 * Runs pruneAuditEvents every `intervalMs` (with jitter, so instances spread out) until the
 * returned function is called. Failures are logged and retried at the next tick.
 */
export function scheduleEventPruning(dataSource: DataSource, logger: Logger, settings: EventPruneSettings, intervalMs = 10 * 60_000): () => void {
  return repeatWithJitter(async () => {
    try {
      const deleted = await pruneAuditEvents(dataSource, settings);
      if (deleted) logger.info({ audit_events: deleted, retention_days: settings.retentionDays }, 'pruned old audit events');
    } catch (err) {
      logger.warn({ err }, 'pruning audit events failed; will retry');
    }
  }, intervalMs);
}
