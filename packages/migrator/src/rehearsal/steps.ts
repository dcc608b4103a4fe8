import type { DataSource, QueryRunner } from 'typeorm';
import type { Migrator, RunResult } from '../migrator';
import { schemaSnapshot, snapshotDifference } from '../schema-snapshot';
import { explainFailure, type DataFailure } from './data-failure';
import { destroyedBy, takeCensus, typeChangesIn, watchTypeChanges, type DestroyedValues } from './destroyed-values';
import { lockRecorder, type ExclusiveLock } from './exclusive-locks';

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
  /** Values the step destroyed: rows of dropped tables, non-null values of dropped columns, values a type change altered. */
  readonly destroyed: DestroyedValues;
}

const NOTHING_DESTROYED: DestroyedValues = { tables: {}, columns: {}, changed: {}, total: 0 };

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
    for (const step of ['up', 'down', 'up again'] as const) {
      if (signal?.aborted) break;
      const result = await measuredStep(migrator, ds, step, name, ignore, signal);
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
): Promise<RehearsalStep> {
  const t0 = performance.now();
  const plan = (m: Migrator, dryRun: boolean): Promise<RunResult> =>
    step === 'down' ? m.down({ steps: 1, dryRun }) : m.up({ only: [name], allowOutOfOrder: true, dryRun });
  const census = await withRunner(ds, (r) => takeCensus(r, ignore));
  // The step's statements, previewed, say which columns change type: their values are kept to compare.
  const preview = await plan(migrator, true).catch(() => undefined);
  const statements = preview?.results.flatMap((r) => (r.statements ?? []).map((s) => s.sql)) ?? [];
  const watches = await withRunner(ds, (r) => watchTypeChanges(r, typeChangesIn(statements), census));
  const locks = lockRecorder();
  await withRunner(ds, (r) => locks.snapshot(r));
  let result: RunResult | undefined;
  let thrown: unknown;
  try {
    result = await plan(migrator.with({ afterStatement: locks.afterStatement }), false);
  } catch (err) {
    thrown = err;
  }
  const exclusiveLocks = locks.finish();
  const ran = result?.results.find((r) => r.name === name);
  const durationMs = ran?.durationMs ?? performance.now() - t0;
  const error = result?.error ?? (thrown as Error | undefined);
  // Interrupted (Ctrl-C dropped the scratch database): nothing left to measure.
  const destroyed = signal?.aborted
    ? NOTHING_DESTROYED
    : await withRunner(ds, async (r) => destroyedBy(r, census, await takeCensus(r, ignore), watches));
  if (error || !ran) {
    const statement = ((error as { details?: { statement?: string | null } } | undefined)?.details?.statement ?? null) as string | null;
    const failure = error && !signal?.aborted ? await withRunner(ds, (r) => explainFailure(r, error, statement)) : undefined;
    const rows = failure?.offendingRows !== null && failure?.offendingRows !== undefined ? ` (${failure.offendingRows} offending row(s)${failure.table ? ` in ${failure.table}` : ''})` : '';
    return {
      migration: name,
      step,
      ok: false,
      durationMs,
      error: error ? `${error.message}${rows}` : `${name} did not run`,
      statement,
      failure,
      exclusiveLocks,
      destroyed,
    };
  }
  return { migration: name, step, ok: true, durationMs, exclusiveLocks, destroyed };
}

async function withRunner<T>(ds: DataSource, fn: (r: QueryRunner) => Promise<T>): Promise<T> {
  const runner = ds.createQueryRunner();
  try {
    return await fn(runner);
  } finally {
    await runner.release();
  }
}
