import type { QueryRunner } from 'typeorm';
import { clientOf } from './pg';

/** A relation a step held in ACCESS EXCLUSIVE mode, and for how long (from the statement that took it to commit). */
export interface ExclusiveLock {
  readonly relation: string;
  readonly heldMs: number;
  /** The statement that took it. */
  readonly statement: string;
}

/**
 * Records ACCESS EXCLUSIVE locks as a migration takes them: after each statement, the relations
 * the session now holds in that mode (pg_locks of its own backend). In a transaction they are
 * held until commit, so the duration runs from the statement that took the lock to the end.
 */
export function lockRecorder(): {
  /** Remembers the names of the database's tables before the step: a table it drops is then still named, not an OID. */
  snapshot: (runner: QueryRunner) => Promise<void>;
  afterStatement: (runner: QueryRunner, sql: string, startedMs: number) => Promise<void>;
  finish: () => ExclusiveLock[];
} {
  const taken = new Map<string, { at: number; statement: string }>();
  /** OID -> name of each table before the step (null: an index, a TOAST table: not reported, as before). */
  const names = new Map<string, string | null>();
  return {
    snapshot: async (runner) => {
      const rows: { oid: string; relation: string; table: boolean }[] = await runner.query(
        `SELECT c.oid::text AS oid, n.nspname || '.' || c.relname AS relation, c.relkind IN ('r', 'p', 'm') AS "table"
           FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE n.nspname NOT IN ('pg_catalog', 'information_schema')`,
      );
      for (const r of rows) names.set(r.oid, r.table ? r.relation : null);
    },
    afterStatement: async (runner, sql, startedMs) => {
      const rows: { relation: string | null; oid: string }[] = await clientOf(runner)
        .query(
          `SELECT n.nspname || '.' || c.relname AS relation, l.relation::text AS oid
             FROM pg_locks l LEFT JOIN pg_class c ON c.oid = l.relation LEFT JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE l.pid = pg_backend_pid() AND l.locktype = 'relation' AND l.mode = 'AccessExclusiveLock' AND l.granted
              AND (c.relkind IS NULL OR c.relkind IN ('r', 'p', 'm'))`,
        )
        .then((r) => r.rows as { relation: string | null; oid: string }[]);
      for (const r of rows) {
        // A relation this step dropped has no catalog row any more: named from the snapshot. One the
        // step both created and dropped (or an index, a TOAST table) is nothing a user could wait on.
        const relation = r.relation ?? (names.get(r.oid) ? `${names.get(r.oid)} (dropped)` : null);
        if (relation && !taken.has(relation)) taken.set(relation, { at: startedMs, statement: sql.trim() });
      }
    },
    finish: () => {
      const end = performance.now();
      return [...taken].map(([relation, t]) => ({ relation, heldMs: end - t.at, statement: t.statement }));
    },
  };
}
