import type { DataSource } from 'typeorm';
import type { Logger } from '../../logging/logger';
import { sql } from '../sql';
import { repeatWithJitter } from '../periodic-task';

export interface EventPruneSettings {
  /** AUTH_EVENTS_RETENTION_DAYS: months wholly older than this are dropped (the database keeps at least 30 days). */
  retentionDays: number;
}

export interface EventMaintenance {
  /** Monthly partitions created (this month and the next three, when missing). */
  created: number;
  /** Monthly partitions dropped, each wholly older than the retention. */
  dropped: number;
  /** Rows past the retention deleted from the DEFAULT partition (which holds only strays). */
  deleted: number;
  /** Partitions left for the next run because auth.audit_events was busy (lock_timeout). */
  skipped: number;
}

/**
 * Keeps the partitioned audit log (auth.audit_events, one partition a month): creates the coming
 * months and drops the months older than the retention, through auth_audit.maintain(), which runs
 * as the migration role: the runtime role may not delete an event itself (issue 22 M6). Dropping a
 * month is one catalog change, whatever its size, so a run takes milliseconds at any scale and
 * leaves no dead rows to vacuum. An event is kept at least the retention and at most a month
 * more. Safe from every instance at once (one runs, the others return) and through a pooler.
 */
export async function pruneAuditEvents(dataSource: DataSource, settings: EventPruneSettings): Promise<EventMaintenance> {
  const { rows } = await sql<EventMaintenance>(dataSource, `SELECT created, dropped, deleted, skipped FROM auth_audit.maintain($1)`, [settings.retentionDays]);
  const r = rows[0]!;
  return { created: Number(r.created), dropped: Number(r.dropped), deleted: Number(r.deleted), skipped: Number(r.skipped) };
}

/**
 * Runs pruneAuditEvents every `intervalMs` (with jitter, so instances spread
 * out) until the returned function is called. Failures are logged and retried at the next tick.
 */
export function scheduleEventPruning(dataSource: DataSource, logger: Logger, settings: EventPruneSettings, intervalMs = 10 * 60_000): () => void {
  return repeatWithJitter(async () => {
    try {
      const done = await pruneAuditEvents(dataSource, settings);
      if (done.created || done.dropped || done.deleted) logger.info({ audit_partitions: done, retention_days: settings.retentionDays }, 'audit log partitions maintained');
      if (done.skipped) logger.warn({ audit_partitions: done }, 'audit log maintenance skipped a partition that was busy; will retry');
    } catch (err) {
      logger.warn({ err }, 'audit log maintenance failed; will retry');
    }
  }, intervalMs);
}
