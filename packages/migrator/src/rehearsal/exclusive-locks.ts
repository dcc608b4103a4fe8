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
  afterStatement: (runner: QueryRunner, sql: string, startedMs: number) => Promise<void>;
  finish: () => ExclusiveLock[];
} {
  const taken = new Map<string, { at: number; statement: string }>();
  return {
    afterStatement: async (runner, sql, startedMs) => {
      const rows: { relation: string }[] = await clientOf(runner)
        .query(
          `SELECT coalesce(n.nspname || '.' || c.relname, l.relation::text) AS relation
             FROM pg_locks l LEFT JOIN pg_class c ON c.oid = l.relation LEFT JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE l.pid = pg_backend_pid() AND l.locktype = 'relation' AND l.mode = 'AccessExclusiveLock' AND l.granted
              AND (c.relkind IS NULL OR c.relkind IN ('r', 'p', 'm'))`,
        )
        .then((r) => r.rows as { relation: string }[]);
      for (const r of rows) if (!taken.has(r.relation)) taken.set(r.relation, { at: startedMs, statement: sql.trim() });
    },
    finish: () => {
      const end = performance.now();
      return [...taken].map(([relation, t]) => ({ relation, heldMs: end - t.at, statement: t.statement }));
    },
  };
}
