import type { QueryRunner } from 'typeorm';
import { MigratorError } from './errors';

/**
 * The advisory lock every writer of a database's schema takes, in PostgreSQL's two-key form
 * (pg_advisory_lock(int4, int4); pg_locks shows classid, objid and objsubid = 2). A database that
 * several services share may hold other advisory locks: one-bigint keys (objsubid = 1) can never
 * collide with it, and a class id of its own ("migr" in ASCII) keeps it apart from other two-key
 * users. Session-level on purpose: it is held by the one connection the run uses, across the
 * per-migration transactions, and PostgreSQL frees it when that connection ends, so a killed
 * process cannot leave it behind.
 */
export interface MigrationLockKey {
  /** int4: what kind of lock ("migr"). */
  readonly classId: number;
  /** int4: which one, e.g. one per database or per history. */
  readonly objectId: number;
}

export const DEFAULT_MIGRATION_LOCK: MigrationLockKey = { classId: 0x6d696772, objectId: 1 };

export interface LockHolder {
  readonly pid: number;
  readonly applicationName: string;
  readonly clientAddr: string | null;
  readonly since: Date | null;
  readonly query: string;
}

export interface SessionTimeouts {
  /** How long to wait for another run's migration lock (0 waits forever). */
  readonly lockTimeoutMs: number;
  /** lock_timeout for each DDL statement . */
  readonly ddlLockTimeoutMs: number;
  /** statement_timeout of the session (0 = none). */
  readonly statementTimeoutMs: number;
  /** What the user calls the lock timeout setting (e.g. its environment variable), named when it runs out. */
  readonly lockTimeoutName?: string;
}

/** How messages name the lock timeout when the caller does not. */
export const DEFAULT_LOCK_TIMEOUT_NAME = 'timeouts.lockTimeoutMs';

export async function findLockHolder(runner: QueryRunner, key: MigrationLockKey): Promise<LockHolder | null> {
  const rows: Record<string, unknown>[] = await runner.query(
    `SELECT a.pid, a.application_name, a.client_addr::text AS client_addr, a.backend_start, a.query
       FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
      WHERE l.locktype = 'advisory' AND l.granted AND l.classid = $1::int::oid AND l.objid = $2::int::oid AND l.objsubid = 2
        AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
    [key.classId, key.objectId],
  );
  const r = rows[0];
  if (!r) return null;
  return {
    pid: Number(r.pid),
    applicationName: String(r.application_name ?? ''),
    clientAddr: (r.client_addr as string | null) ?? null,
    since: r.backend_start ? new Date(r.backend_start as string) : null,
    query: String(r.query ?? ''),
  };
}

export function describeHolder(h: LockHolder | null): string {
  if (!h) return 'another session';
  return `pid ${h.pid} (${h.applicationName || 'no application_name'}${h.clientAddr ? ` from ${h.clientAddr}` : ''}${
    h.since ? `, connected since ${h.since.toISOString()}` : ''
  })`;
}

/** The first pause between two tries for a held lock; it doubles up to POLL_MAX_MS. */
const POLL_FIRST_MS = 50;
const POLL_MAX_MS = 500;

/**
 * Takes the migration lock on `runner`'s connection: at once if free, else announces who holds
 * it through `onWait` and tries again, with pauses growing to half a second, for up to
 * `lockTimeoutMs` (0: for ever).
 *
 * It polls with pg_try_advisory_lock instead of waiting in pg_advisory_lock because a statement
 * waiting in the server keeps its snapshot, and CREATE INDEX CONCURRENTLY (in the holder's
 * migration with transaction = false) waits for every older snapshot of the database: the holder
 * waited for the waiter, the waiter for the holder's lock, and PostgreSQL's deadlock detector
 * cancelled one of them, leaving an INVALID index or a failed deploy. Between tries this session
 * is idle and holds no snapshot. The cost is fairness (the next holder is whoever tries first),
 * which does not matter when every runner applies the same migrations.
 */
export async function acquireMigrationLock(
  runner: QueryRunner,
  key: MigrationLockKey,
  timeouts: SessionTimeouts,
  onWait: (holder: LockHolder | null) => void,
): Promise<{ waitedMs: number }> {
  const tryLock = async () =>
    ((await runner.query(`SELECT pg_try_advisory_lock($1::int, $2::int) AS locked`, [key.classId, key.objectId])) as { locked: boolean }[])[0]!.locked;
  if (await tryLock()) return { waitedMs: 0 };
  const started = performance.now();
  const holder = await findLockHolder(runner, key);
  onWait(holder);
  const limit = timeouts.lockTimeoutMs > 0 ? timeouts.lockTimeoutMs : Infinity;
  for (let pause = POLL_FIRST_MS; ; pause = Math.min(pause * 2, POLL_MAX_MS)) {
    const left = limit - (performance.now() - started);
    if (left <= 0) break;
    await new Promise((resolve) => setTimeout(resolve, Math.min(pause, left)));
    if (await tryLock()) return { waitedMs: performance.now() - started };
  }
  const now = await findLockHolder(runner, key).catch(() => holder);
  throw new MigratorError(
    'lock_timeout',
    `the migration lock is still held by ${describeHolder(now ?? holder)} after ${timeouts.lockTimeoutMs} ms (${timeouts.lockTimeoutName ?? DEFAULT_LOCK_TIMEOUT_NAME}): ` +
      `wait for that run to finish and retry, or if it is stuck end it with SELECT pg_terminate_backend(${now?.pid ?? holder?.pid ?? '<pid>'})`,
    { holder: now ?? holder },
  );
}

/**
 * True when the session's next statement still sees the lock as its own: the other half of the
 * pooler check (pooler.ts). Through a transaction pooler the next statement may run on another
 * backend, which does not hold the session-level lock the previous one took.
 */
export async function lockIsOwn(runner: QueryRunner, key: MigrationLockKey): Promise<boolean> {
  const [{ own }] = await runner.query(
    `SELECT EXISTS (SELECT 1 FROM pg_locks WHERE pid = pg_backend_pid() AND granted AND locktype = 'advisory'
                      AND classid = $1::int::oid AND objid = $2::int::oid AND objsubid = 2) AS own`,
    [key.classId, key.objectId],
  );
  return own === true;
}

export async function releaseMigrationLock(runner: QueryRunner, key: MigrationLockKey): Promise<void> {
  await runner.query(`SELECT pg_advisory_unlock($1::int, $2::int)`, [key.classId, key.objectId]);
}

/** Sets the DDL lock_timeout and statement_timeout for the whole session (not per transaction). */
export async function applySessionTimeouts(runner: QueryRunner, timeouts: SessionTimeouts): Promise<void> {
  await runner.query(`SET lock_timeout = ${Math.trunc(timeouts.ddlLockTimeoutMs)}`);
  await runner.query(`SET statement_timeout = ${Math.trunc(timeouts.statementTimeoutMs)}`);
  // Without this, a server backend whose client was killed mid-statement keeps running that
  // statement (and holding the migration lock) until it ends; with it the server notices the
  // dead client within a second and rolls back. PostgreSQL 14+; older servers just lack it.
  await runner.query(`SET client_connection_check_interval = 1000`).catch(() => undefined);
}
