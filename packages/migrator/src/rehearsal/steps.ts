import type { DataSource, QueryRunner } from 'typeorm';
import type { Migrator, RunResult } from '../migrator';
import { schemaSnapshot, snapshotDifference } from '../schema-snapshot';
import { explainFailure, type DataFailure } from './data-failure';
import { destroyedBy, takeCensus, typeChangesIn, watchTypeChanges, type DestroyedValues } from './destroyed-values';
import { lockRecorder, type ExclusiveLock } from './exclusive-locks';
import { notRestored, overwrittenValues, takeRowPrints, type RowPrints } from './row-prints';
import { statementTimer, type StatementTimes } from './statement-times';

export interface RehearsalStep {
  readonly migration: string;
  readonly step: 'up' | 'down' | 'up again';
  readonly ok: boolean;
  readonly durationMs: number;
  readonly error?: string;
  /** The statement that failed, when one did. */
  readonly statement?: string | null;
  /** A failure caused by the data: which rows, how many. */
  readonly failure?: DataFailure;
  /** Relations the step held in ACCESS EXCLUSIVE mode (blocking every reader and writer), and for how long. */
  readonly exclusiveLocks: readonly ExclusiveLock[];
  /**
   * Values the step destroyed: rows of dropped tables, non-null values of dropped columns, values
   * a type change altered, values set to NULL, rows deleted, and (for `down`) values `up`
   * overwrote that `down` did not give back.
   */
  readonly destroyed: DestroyedValues;
  /** Values the step changed in place (an UPDATE), by column: not lost while `down` gives them back. */
  readonly overwritten: Readonly<Record<string, number>>;
  /** For `down`: its down() issues no statement, so nothing reverts what `up` did. */
  readonly emptyDown?: boolean;
  /** The migration ran in a transaction (false: `transaction = false`, each statement on its own). */
  readonly transaction: boolean;
  /** How many statements it sent, and the slowest, timed on this copy. */
  readonly statements: StatementTimes;
}

const NOTHING_DESTROYED: DestroyedValues = { tables: {}, columns: {}, changed: {}, nulled: {}, rows: {}, notRestored: {}, total: 0 };

export interface StepsRun {
  readonly steps: RehearsalStep[];
  readonly downLeftovers: Record<string, string[]>;
  readonly failed: boolean;
}

/** Each pending migration up, down and up again, measured; stops at the first failure. */
export async function runSteps(
  migrator: Migrator,
  ds: DataSource,
  pending: readonly string[],
  ignore: readonly string[],
  signal: AbortSignal | undefined,
  say: (line: string) => void,
): Promise<StepsRun> {
  const steps: RehearsalStep[] = [];
  const downLeftovers: Record<string, string[]> = {};
  let failed = false;
  for (const name of pending) {
    const snapshot = await withRunner(ds, (r) => schemaSnapshot(r, ignore));
    // Row fingerprints before and after `up`: what an UPDATE overwrote, and whether `down` gives it back.
    const prints: { beforeUp?: RowPrints; afterUp?: RowPrints } = {};
    for (const step of ['up', 'down', 'up again'] as const) {
      if (signal?.aborted) break;
      const result = await measuredStep(migrator, ds, step, name, ignore, signal, prints);
      steps.push(result);
      const loss = result.destroyed.total ? `; destroyed ${result.destroyed.total} value(s)` : '';
      say(`${result.ok ? 'ok  ' : 'FAIL'} ${step.padEnd(8)} ${name} (${Math.round(result.durationMs)} ms${loss})${result.error ? `: ${result.error}` : ''}`);
      if (!result.ok) {
        failed = true;
        break;
      }
      if (step === 'down') {
        const left = snapshotDifference(snapshot, await withRunner(ds, (r) => schemaSnapshot(r, ignore)));
        if (left.length) {
          downLeftovers[name] = left;
          failed = true;
        }
      }
    }
    if (failed || signal?.aborted) break;
  }
  return { steps, downLeftovers, failed };
}

/**
 * One step, measured: its duration, the ACCESS EXCLUSIVE locks it took and for how long, the
 * values it destroyed, and, when it fails on the data, the offending rows.
 */
async function measuredStep(
  migrator: Migrator,
  ds: DataSource,
  step: RehearsalStep['step'],
  name: string,
  ignore: readonly string[],
  signal: AbortSignal | undefined,
  prints: { beforeUp?: RowPrints; afterUp?: RowPrints },
): Promise<RehearsalStep> {
  const t0 = performance.now();
  const plan = (m: Migrator, dryRun: boolean): Promise<RunResult> =>
    step === 'down' ? m.down({ steps: 1, dryRun }) : m.up({ only: [name], allowOutOfOrder: true, dryRun });
  const census = await withRunner(ds, (r) => takeCensus(r, ignore));
  if (step === 'up') prints.beforeUp = await withRunner(ds, (r) => takeRowPrints(r, census));
  // The step's statements, previewed, say which columns change type: their values are kept to compare.
  const preview = await plan(migrator, true).catch(() => undefined);
  const statements = preview?.results.flatMap((r) => (r.statements ?? []).map((s) => s.sql)) ?? [];
  const typeChanges = typeChangesIn(statements);
  const watches = await withRunner(ds, (r) => watchTypeChanges(r, typeChanges, census));
  const locks = lockRecorder();
  const timer = statementTimer();
  await withRunner(ds, (r) => locks.snapshot(r));
  let result: RunResult | undefined;
  let thrown: unknown;
  try {
    const afterStatement = async (runner: QueryRunner, sql: string, startedMs: number) => {
      timer.afterStatement(sql, startedMs);
      await locks.afterStatement(runner, sql, startedMs);
    };
    result = await plan(migrator.with({ afterStatement }), false);
  } catch (err) {
    thrown = err;
  }
  const exclusiveLocks = locks.finish();
  const ran = result?.results.find((r) => r.name === name);
  const durationMs = ran?.durationMs ?? performance.now() - t0;
  const error = result?.error ?? (thrown as Error | undefined);
  const transaction = ran?.transaction ?? true;
  // Interrupted (Ctrl-C dropped the scratch database): nothing left to measure.
  let overwritten: Record<string, number> = {};
  const destroyed = signal?.aborted
    ? NOTHING_DESTROYED
    : await withRunner(ds, async (r) => {
        const after = await takeCensus(r, ignore);
        let lostForGood: Record<string, number> = {};
        if (step === 'up' && prints.beforeUp && ran && !error) {
          prints.afterUp = await takeRowPrints(r, after);
          const retyped = new Set(watches.map((w) => w.column));
          overwritten = overwrittenValues(prints.beforeUp, prints.afterUp, retyped);
        }
        if (step === 'down' && prints.beforeUp && prints.afterUp && ran && !error) {
          lostForGood = notRestored(prints.beforeUp, prints.afterUp, await takeRowPrints(r, after));
        }
        return destroyedBy(r, census, after, watches, lostForGood);
      });
  const common = { migration: name, step, durationMs, exclusiveLocks, destroyed, overwritten, transaction, statements: timer.finish() };
  const emptyDown = step === 'down' && preview !== undefined && statements.length === 0 ? { emptyDown: true } : {};
  if (error || !ran) {
    const statement = ((error as { details?: { statement?: string | null } } | undefined)?.details?.statement ?? null) as string | null;
    const failure = error && !signal?.aborted ? await withRunner(ds, (r) => explainFailure(r, error, statement)) : undefined;
    const rows = failure?.offendingRows !== null && failure?.offendingRows !== undefined ? ` (${failure.offendingRows} offending row(s)${failure.table ? ` in ${failure.table}` : ''})` : '';
    return { ...common, ...emptyDown, ok: false, error: error ? `${error.message}${rows}` : `${name} did not run`, statement, failure };
  }
  return { ...common, ...emptyDown, ok: true };
}

async function withRunner<T>(ds: DataSource, fn: (r: QueryRunner) => Promise<T>): Promise<T> {
  const runner = ds.createQueryRunner();
  try {
    return await fn(runner);
  } finally {
    await runner.release();
  }
}
