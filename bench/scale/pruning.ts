import { Client } from 'pg';
import type { DataSource } from 'typeorm';
import { pruneAuditEvents } from '../../src/auth/audit/event-pruning';
import { pruneEndedSessions } from '../../src/auth/sessions/session-pruning';
import { load, type LoadRequest, type LoadResult } from '../lib/load';
import type { ScaleShape } from './shape';
import { SEEDED_PASSWORD } from './shape';

/** Logins per account per day at the scale (10 M accounts, 1 M daily players, 0.2 logins each). */
const LOGINS_PER_ACCOUNT_PER_DAY = 0.02;
/** Peak over average (the 3×). */
const PEAK = 3;
/** The service's pruning interval (src/auth/sessions/session-pruning.ts, src/auth/audit/event-pruning.ts). */
const INTERVAL_S = 600;

export interface PruningTask {
  /** What is pruned, for the table. */
  readonly label: string;
  readonly rows: number;
  readonly seconds: number;
  /** Login p99 while it ran, and in the run just before it (the same load, no pruning). */
  readonly login_p99_ms: number;
  readonly login_p99_before_ms: number;
  readonly details?: Record<string, unknown>;
}

async function count(url: string, text: string): Promise<number> {
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    return Number((await c.query(text)).rows[0].n);
  } finally {
    await c.end();
  }
}

/**
 * Pruning on the seeded database while logins run against it, each beside a login run without
 * pruning: a whole sweep of the sessions (the runs an hour makes) through the backlog of ended
 * sessions, another in the steady state (ten minutes' worth of ended sessions at the peak login
 * rate of the scale), the audit log's maintenance with nothing to drop, and the drop of the
 * months past a 30-day retention.
 */
export async function measurePruning(opts: {
  url: string;
  serviceUrl: string;
  dataSource: DataSource;
  shape: ScaleShape;
  players: string[];
  durationS: number;
}): Promise<{ tasks: PruningTask[]; insert_rate_per_s: number }> {
  const { url, dataSource, shape } = opts;
  let next = 0;
  const loginReq: LoadRequest = {
    method: 'POST',
    path: '/api/v1/auth/login',
    headers: { 'content-type': 'application/json' },
    setupRequest: (req) => ({ ...req, body: JSON.stringify({ email: opts.players[next++ % opts.players.length], password: SEEDED_PASSWORD }) }),
  };
  const logins = (durationS: number): Promise<LoadResult> => load({ url: opts.serviceUrl, connections: 8, durationS, request: loginReq });
  const tasks: PruningTask[] = [];
  const during = async (label: string, fn: () => Promise<{ rows: number; details?: Record<string, unknown> }>) => {
    const before = await logins(Math.max(2, Math.round(opts.durationS / 2)));
    const started = performance.now();
    let finished = false;
    let seconds = 0;
    const work = fn().finally(() => {
      finished = true;
      seconds = (performance.now() - started) / 1000;
    });
    // Logins for as long as the task runs (at least two seconds).
    let worst = 0;
    do {
      const r = await logins(2);
      worst = Math.max(worst, r.p99_ms);
    } while (!finished);
    const { rows, details } = await work;
    tasks.push({ label, rows, seconds, login_p99_ms: worst, login_p99_before_ms: before.p99_ms, details });
  };

  const prunableSessions = `SELECT count(*) AS n FROM auth.sessions WHERE revoked_at < now() - interval '1 day' OR expires_at < now() - interval '1 day'`;
  // A whole sweep of the table: as many runs as the interval would make in an hour (runsPerSweep).
  const sweep = async () => {
    let rows = 0;
    let swept = 0;
    let table = 1;
    let runs = 0;
    let slowest = 0;
    while (swept < table) {
      const started = performance.now();
      const r = await pruneEndedSessions(dataSource);
      slowest = Math.max(slowest, (performance.now() - started) / 1000);
      rows += r.sessions;
      swept += r.pages!.swept;
      table = r.pages!.table;
      runs++;
    }
    return { rows, details: { runs, slowest_run_s: Math.round(slowest * 100) / 100, table_pages: table } };
  };
  const backlog = await count(url, prunableSessions);
  await during(`sessions: the backlog (${backlog.toLocaleString('en')} ended 1-2 days ago), one sweep of the whole table`, sweep);
  // Steady state: the sessions that end in one interval at the peak rate, ended over a day ago.
  const perInterval = Math.max(1, Math.round(((shape.users * LOGINS_PER_ACCOUNT_PER_DAY * PEAK) / 86_400) * INTERVAL_S));
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    await c.query(
      `UPDATE auth.sessions SET revoked_at = now() - interval '25 hours', revoked_reason = 'logout'
        WHERE id IN (SELECT id FROM auth.sessions WHERE revoked_at IS NULL LIMIT $1)`,
      [perInterval],
    );
  } finally {
    await c.end();
  }
  await during(`sessions: steady state (${perInterval} ended in ${INTERVAL_S / 60} min at the peak rate), one sweep`, sweep);
  await during('audit log: maintenance, nothing to drop (90-day retention)', async () => {
    const r = await pruneAuditEvents(dataSource, { retentionDays: 90 });
    return { rows: r.dropped, details: { ...r } };
  });
  // The rows of the months a 30-day retention drops, counted before (outside the timed run).
  const doomed = await count(
    url,
    `SELECT COALESCE(sum(c.reltuples), 0)::bigint AS n FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
      WHERE i.inhparent = 'auth.audit_events'::regclass
        AND substring(pg_get_expr(c.relpartbound, c.oid) FROM 'TO \\(''([^'']+)''\\)')::timestamptz <= now() - interval '30 days'`,
  );
  await during('audit log: the months past a 30-day retention dropped', async () => {
    const r = await pruneAuditEvents(dataSource, { retentionDays: 30 });
    return { rows: doomed, details: { partitions_dropped: r.dropped, skipped: r.skipped } };
  });
  return { tasks, insert_rate_per_s: (shape.users * LOGINS_PER_ACCOUNT_PER_DAY * PEAK) / 86_400 };
}
