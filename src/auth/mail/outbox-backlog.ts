import type { DataSource } from 'typeorm';
import { sql } from '../sql';

export interface OutboxBacklog {
  /** Mails waiting to be sent (status pending, retries included). */
  depth: number;
  /** Seconds since the oldest of them was queued; 0 when none waits. */
  oldestAgeSeconds: number;
}

/** The mail outbox's backlog (issue 10's auth.mail_outbox), for /metrics: one query on the (status, next_attempt_at) index. */
export async function readOutboxBacklog(dataSource: DataSource): Promise<OutboxBacklog> {
  const { rows } = await sql<{ depth: number; oldest: number | null }>(
    dataSource,
    `SELECT count(*)::int AS depth, EXTRACT(EPOCH FROM statement_timestamp() - min(created_at))::float8 AS oldest
       FROM auth.mail_outbox WHERE status = 'pending'`,
  );
  return { depth: rows[0]?.depth ?? 0, oldestAgeSeconds: Math.max(0, rows[0]?.oldest ?? 0) };
}
