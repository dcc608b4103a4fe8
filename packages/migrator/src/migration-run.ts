import type { DataSource, MigrationInterface, QueryRunner } from 'typeorm';
import { MigratorError, isMigratorError } from './errors';
import { recordAppliedAtOnce, recordRevertedAtOnce, type HistoryLocation } from './history';
import type { MigrationFile } from './migration-files';
import { applySessionTimeouts, type SessionTimeouts } from './migration-lock';
import type { MigratorEvent, MigratorOptions } from './migrator-options';
import type { Direction, MigrationOutcome } from './run-result';

/**
 * How the migrations of one run use transactions (TypeORM's `migrationsTransactionMode`, `-t`):
 * `each` (the default here): one per migration, so a failure keeps the earlier ones; `all`: one
 * for the whole run, so a failure leaves the database as it was; `none`: none at all.
 */
export type TransactionMode = 'all' | 'each' | 'none';
export const TRANSACTION_MODES: readonly TransactionMode[] = ['all', 'each', 'none'];

/** What a real run needs from the Migrator: the lock's connection, the settings, and where to report. */
export interface RunContext {
  readonly history: HistoryLocation;
  /** Recorded beside the checksum: which tool applied it. */
  readonly via: string;
  readonly afterStatement?: MigratorOptions['afterStatement'];
  readonly dataSource: DataSource;
  readonly timeouts: SessionTimeouts;
  readonly mode: TransactionMode;
  readonly emit: (event: MigratorEvent) => void;
  readonly instanceOf: (file: MigrationFile) => Promise<MigrationInterface>;
}

/**
 * Runs the chosen migrations on `runner` (which holds the migration lock) in the transaction mode
 * asked for. A migration that says `transaction = false` runs on a connection of its own while
 * the lock stays held here, so CREATE INDEX CONCURRENTLY and batched backfills (which commit as
 * they go) work; its history row is written here once it is done. Never throws for a failed
 * migration: the failure is returned beside what was done.
 */
export async function runPlan(
  runner: QueryRunner,
  direction: Direction,
  chosen: readonly MigrationFile[],
  ctx: RunContext,
): Promise<{ results: MigrationOutcome[]; error?: MigratorError }> {
  // Every instance first: a file that cannot load fails before anything runs.
  const instances = new Map<MigrationFile, MigrationInterface>();
  for (const file of chosen) instances.set(file, await ctx.instanceOf(file));
  if (ctx.mode === 'all') {
    const outside = chosen.filter((f) => instances.get(f)!.transaction === false);
    if (outside.length) {
      throw new MigratorError(
        'usage',
        `${outside.map((f) => f.name).join(', ')} must run outside a transaction (transaction = false), which --transaction all cannot do: ` +
          `apply it on its own with --transaction each (the default), then the rest with --transaction all`,
        { migrations: outside.map((f) => f.name) },
      );
    }
  }
  const results: MigrationOutcome[] = [];
  if (ctx.mode === 'all' && chosen.length) await runner.startTransaction();
  for (const [index, file] of chosen.entries()) {
    const instance = instances.get(file)!;
    ctx.emit({ type: 'migration-start', name: file.name, direction, index, total: chosen.length });
    const t0 = performance.now();
    const own = instance.transaction === false;
    try {
      if (own) await runOnOwnConnection(runner, direction, file, instance, t0, ctx);
      else await runMigration(runner, direction, file, instance, t0, ctx, ctx.mode === 'each');
      const durationMs = performance.now() - t0;
      results.push({ name: file.name, direction, status: 'done', durationMs, transaction: !own && ctx.mode !== 'none' });
      ctx.emit({ type: 'migration-done', name: file.name, direction, durationMs });
    } catch (err) {
      results.push({ name: file.name, direction, status: 'failed', durationMs: performance.now() - t0, transaction: !own && ctx.mode !== 'none' });
      if (ctx.mode === 'all') {
        if (runner.isTransactionActive) await runner.rollbackTransaction().catch(() => undefined);
        for (const r of results.slice(0, -1)) Object.assign(r, { status: 'rolled-back' });
      }
      return { results, error: isMigratorError(err) ? err : migrationFailure(file, direction, err, own ? 'none' : ctx.mode, index) };
    }
  }
  if (ctx.mode === 'all' && runner.isTransactionActive) await runner.commitTransaction();
  return { results };
}

/**
 * Runs one migration's up() or down() on `runner` and records it in the history, in a
 * transaction of its own when `transaction`; rolls back and rethrows on failure.
 */
export async function runMigration(
  runner: QueryRunner,
  direction: Direction,
  file: MigrationFile,
  instance: MigrationInterface,
  t0: number,
  context: Pick<RunContext, 'history' | 'via' | 'afterStatement'>,
  transaction: boolean,
): Promise<void> {
  if (transaction) await runner.startTransaction();
  try {
    await observed(runner, context.afterStatement, () => (direction === 'up' ? instance.up(runner) : instance.down(runner)));
    await record(runner, direction, file, t0, context);
    if (transaction) await runner.commitTransaction();
  } catch (err) {
    if (transaction && runner.isTransactionActive) await runner.rollbackTransaction().catch(() => undefined);
    throw err;
  }
}

/** A `transaction = false` migration: its own connection, with the session's timeouts; the lock stays on `lockRunner`. */
async function runOnOwnConnection(lockRunner: QueryRunner, direction: Direction, file: MigrationFile, instance: MigrationInterface, t0: number, ctx: RunContext) {
  const step = ctx.dataSource.createQueryRunner();
  try {
    await step.connect();
    await applySessionTimeouts(step, ctx.timeouts);
    await observed(step, ctx.afterStatement, () => (direction === 'up' ? instance.up(step) : instance.down(step)));
  } finally {
    if (step.isTransactionActive) await step.rollbackTransaction().catch(() => undefined);
    await step.release();
  }
  const transaction = ctx.mode === 'each';
  if (transaction) await lockRunner.startTransaction();
  try {
    await record(lockRunner, direction, file, t0, ctx);
    if (transaction) await lockRunner.commitTransaction();
  } catch (err) {
    if (transaction && lockRunner.isTransactionActive) await lockRunner.rollbackTransaction().catch(() => undefined);
    throw err;
  }
}

async function record(runner: QueryRunner, direction: Direction, file: MigrationFile, t0: number, context: Pick<RunContext, 'history' | 'via'>) {
  const q =
    direction === 'up'
      ? recordAppliedAtOnce(context.history, { ...file, durationMs: performance.now() - t0, via: context.via })
      : recordRevertedAtOnce(context.history, file.name);
  await runner.query(q.sql, q.params);
}

/** Runs `fn` with every query of `runner` reported to `observe` (rehearsal's lock recorder). */
async function observed(runner: QueryRunner, observe: RunContext['afterStatement'], fn: () => Promise<unknown>): Promise<void> {
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
    await fn();
  } finally {
    if (observe) runner.query = query;
  }
}

/** The error a failed migration is returned as: what failed, where, and what stayed applied. */
export function migrationFailure(file: MigrationFile, direction: Direction, err: unknown, mode: TransactionMode, index: number): MigratorError {
  const e = err as { message?: string; query?: string };
  const statement = e.query ? ` at statement: ${e.query.trim()}` : '';
  const kept = index > 0 ? `the ${index} migration(s) before it in this run stay ${direction === 'up' ? 'applied' : 'reverted'}` : 'nothing else was changed';
  const outcome =
    mode === 'all'
      ? `the whole run was rolled back (--transaction all)${index > 0 ? `, the ${index} migration(s) before it included` : ''}: nothing was changed`
      : mode === 'each'
        ? `it was rolled back and ${kept}`
        : `it ran without a transaction (transaction = false or --transaction none), so its statements before the failing one stay applied; ${kept}`;
  return new MigratorError(
    'migration_failed',
    `${file.name} (${file.file}) failed in ${direction}()${statement}: ${e.message ?? String(err)}; ${outcome}. Fix the migration (or the data) and run it again`,
    { migration: file.name, file: file.file, statement: e.query ?? null },
    { cause: err },
  );
}
