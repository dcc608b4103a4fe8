import type { DataSource } from 'typeorm';
import type { Logger } from '../../logging/logger';
import { sql } from '../sql';
import { repeatWithJitter } from '../periodic-task';

export interface PruneSettings {
  /** Ended sessions (revoked or expired) are kept this long for audit, then deleted with their tokens. */
  endedSessionRetentionSeconds: number;
  /** Rows of expired refresh tokens deleted per statement, so one run never holds many row locks or a long transaction. */
  batchSize: number;
  /** Heap pages of auth.sessions one DELETE looks at (8 KiB each; about 25 sessions a page). */
  pagesPerStatement: number;
  /** Pages one run sweeps at least... */
  minPagesPerRun: number;
  /** ...and so much more that a sweep of the whole table takes at most this many runs. */
  runsPerSweep: number;
}

export const DEFAULT_PRUNE_SETTINGS: PruneSettings = {
  endedSessionRetentionSeconds: 86_400,
  batchSize: 1_000,
  pagesPerStatement: 256,
  minPagesPerRun: 8_192,
  runsPerSweep: 6,
};

export interface PruneResult {
  sessions: number;
  refreshTokens: number;
  /** Pages of auth.sessions this run swept, and the table's size in pages. */
  pages?: { swept: number; table: number };
}

/** One window of the sweep: the sessions on pages [$1, $2) that ended more than $3 seconds ago (exported for the plan test). */
export const SWEEP_ENDED_SESSIONS = `DELETE FROM auth.sessions
  WHERE ctid >= format('(%s,0)', $1::bigint)::tid AND ctid < format('(%s,0)', $2::bigint)::tid
    AND (revoked_at < statement_timestamp() - make_interval(secs => $3) OR expires_at < statement_timestamp() - make_interval(secs => $3))`;

/** Where each DataSource's sweep goes on from (per process; a new process starts at a random page). */
const sweepCursor = new WeakMap<DataSource, number>();

/**
 * Deletes what the token tables no longer need: sessions that ended more than the retention ago
 * (their refresh tokens go with them, ON DELETE CASCADE), and refresh tokens past their own
 * expiry in live sessions — every rotation of the previous design added a row, and an expired
 * token is refused as invalid whether or not its row exists, so deleting it weakens no reuse
 * detection.
 *
 * Ended sessions are found by sweeping the table in physical order, a window of pages per DELETE
 * (a TID range scan, PostgreSQL 14+), from where the previous run stopped. No index can find
 * them: expires_at moves on every refresh, and an index on it would cost every rotation its
 * heap-only update. Deleting `LIMIT n` rows found by a scan from the start of the table re-read the
 * already cleaned pages for every batch, quadratic in a backlog (bench --scale). Each statement
 * here reads a bounded window once; a run sweeps at least `minPagesPerRun` pages, and enough that
 * the whole table is swept every `runsPerSweep` runs (every hour at the 10-minute interval), so a
 * run's work is bounded and an ended session outlives its retention by at most one sweep. Safe to
 * run from every instance at once and through a pooler.
 */
export async function pruneEndedSessions(dataSource: DataSource, settings = DEFAULT_PRUNE_SETTINGS): Promise<PruneResult> {
  const result: PruneResult = { sessions: 0, refreshTokens: 0 };
  const { rows } = await sql<{ pages: string }>(dataSource, `SELECT (pg_relation_size('auth.sessions') / current_setting('block_size')::int)::bigint AS pages`);
  const table = Number(rows[0]!.pages);
  const budget = Math.min(table, Math.max(settings.minPagesPerRun, Math.ceil(table / settings.runsPerSweep)));
  let page = sweepCursor.get(dataSource) ?? Math.floor(Math.random() * table);
  for (let swept = 0; swept < budget; ) {
    if (page >= table) page = 0;
    const end = Math.min(table, page + settings.pagesPerStatement, page + budget - swept);
    const { count } = await sql(dataSource, SWEEP_ENDED_SESSIONS, [page, end, settings.endedSessionRetentionSeconds]);
    result.sessions += count;
    swept += end - page;
    page = end;
  }
  sweepCursor.set(dataSource, page);
  result.pages = { swept: budget, table };
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
