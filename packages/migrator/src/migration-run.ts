import type { MigrationInterface, QueryRunner } from 'typeorm';
import { MigratorError } from './errors';
import { recordApplied, recordReverted, type HistoryLocation } from './history';
import type { MigrationFile } from './migration-files';
import type { MigratorOptions } from './migrator-options';
import type { Direction } from './run-result';

/** What a real run of one migration needs from the Migrator's settings. */
export interface RunContext {
  readonly history: HistoryLocation;
  /** Recorded beside the checksum: which tool applied it. */
  readonly via: string;
  readonly afterStatement?: MigratorOptions['afterStatement'];
}

/**
 * Runs one migration's up() or down() and records it in the history, in one transaction unless
 * the migration opts out (`transaction = false`); rolls back and rethrows on failure.
 */
export async function runMigration(
  runner: QueryRunner,
  direction: Direction,
  file: MigrationFile,
  instance: MigrationInterface,
  t0: number,
  context: RunContext,
): Promise<void> {
  const transaction = instance.transaction !== false;
  if (transaction) await runner.startTransaction();
  const observe = context.afterStatement;
  const query = runner.query;
  if (observe) {
    runner.query = (async (sql: string, ...rest: unknown[]) => {
      const started = performance.now();
      const result = await (query as (...a: unknown[]) => Promise<unknown>).call(runner, sql, ...rest);
      await observe(runner, sql, started);
      return result;
    }) as QueryRunner['query'];
  }
  try {
    try {
      if (direction === 'up') await instance.up(runner);
      else await instance.down(runner);
    } finally {
      if (observe) runner.query = query;
    }
    const bookkeeping =
      direction === 'up'
        ? recordApplied(context.history, { ...file, durationMs: performance.now() - t0, via: context.via })
        : recordReverted(context.history, file.name);
    for (const q of bookkeeping) await runner.query(q.sql, q.params);
    if (transaction) await runner.commitTransaction();
  } catch (err) {
    if (transaction && runner.isTransactionActive) await runner.rollbackTransaction().catch(() => undefined);
    throw err;
  }
}

/** The error a failed migration is returned as: what failed, where, and what stayed applied. */
export function migrationFailure(file: MigrationFile, direction: Direction, err: unknown, transaction: boolean, index: number): MigratorError {
  const e = err as { message?: string; query?: string };
  const statement = e.query ? ` at statement: ${e.query.trim()}` : '';
  const kept = index > 0 ? `the ${index} migration(s) before it in this run stay ${direction === 'up' ? 'applied' : 'reverted'}` : 'nothing else was changed';
  const rolledBack = transaction
    ? `it was rolled back and ${kept}`
    : `it ran without a transaction (transaction = false), so its statements before the failing one stay applied; ${kept}`;
  return new MigratorError(
    'migration_failed',
    `${file.name} (${file.file}) failed in ${direction}()${statement}: ${e.message ?? String(err)}; ${rolledBack}. Fix the migration (or the data) and run it again`,
    { migration: file.name, file: file.file, statement: e.query ?? null },
    { cause: err },
  );
}
