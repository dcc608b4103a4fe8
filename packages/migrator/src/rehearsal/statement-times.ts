// How long each statement of a step took on the copy: a migration without a transaction (CREATE INDEX
// CONCURRENTLY, a backfill in batches) is as slow as its statements, and the slowest say where.

export interface TimedStatement {
  readonly sql: string;
  readonly durationMs: number;
}

export interface StatementTimes {
  /** Statements the migration sent. */
  readonly count: number;
  /** The slowest few, slowest first. */
  readonly slowest: readonly TimedStatement[];
}

const KEEP = 3;

/** Records each statement's duration as the migration sends it (the Migrator's afterStatement hook). */
export function statementTimer(): { afterStatement: (sql: string, startedMs: number) => void; finish: () => StatementTimes } {
  let count = 0;
  const slowest: TimedStatement[] = [];
  return {
    afterStatement: (sql, startedMs) => {
      count++;
      slowest.push({ sql: sql.trim(), durationMs: performance.now() - startedMs });
      slowest.sort((a, b) => b.durationMs - a.durationMs);
      slowest.length = Math.min(slowest.length, KEEP);
    },
    finish: () => ({ count, slowest: [...slowest] }),
  };
}
