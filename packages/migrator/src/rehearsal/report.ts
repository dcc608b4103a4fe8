import type { DataSource } from 'typeorm';
import type { LintConfig } from '../lint/config';
import type { LintFinding } from '../lint/lint';
import { diffSchema, type EntityGroups } from '../schema-diff';
import type { CopiedTable } from './copy-data';
import type { Extension } from './extensions';
import type { RehearsalStep, StepsRun } from './steps';

// The rehearsal's report and options, and the report built from its steps: totals, what stayed applied, drift.

export interface RehearsalReport {
  readonly ok: boolean;
  /** `scratch`: the history replayed on an empty scratch database; `data`: a copy of the data too; `on`: a database the user gave. */
  readonly mode: 'scratch' | 'data' | 'on';
  /** The database the steps ran on (the scratch copy, or the one given with `on`). */
  readonly scratchDatabase: string;
  /** Tables copied with --with-data: rows in the real table and rows copied (fewer when sampled). */
  readonly copied: readonly CopiedTable[];
  /** True when --max-rows-per-table left rows out: then values destroyed are counted on the sample. */
  readonly sampled: boolean;
  /** Migrations replayed to reach the real database's current state. */
  readonly replayed: readonly string[];
  readonly steps: readonly RehearsalStep[];
  /** Per migration: schema differences left by down() (it should restore the schema exactly). */
  readonly downLeftovers: Readonly<Record<string, readonly string[]>>;
  /** Statements still needed to reach the entities after all pending migrations. */
  readonly drift: readonly string[];
  readonly compared: string;
  readonly dropped: boolean;
  readonly durationMs: number;
  /** Extensions of the real database created in the scratch database before the replay (with their schemas). */
  readonly extensions: readonly Extension[];
  /** Values destroyed, summed over the steps (see RehearsalStep.destroyed). */
  readonly destroyedTotal: number;
  /** Values changed in place by the `up` steps (UPDATEs), summed: reported beside the losses, never hidden by a 0. */
  readonly overwrittenTotal: number;
  /** Pending migrations left applied on the database the steps ran on (matters with `on`: it is kept). */
  readonly leftApplied: readonly string[];
  /** What the reader must look at though nothing failed (e.g. an empty down()). */
  readonly warnings: readonly string[];
  /**
   * The lint's size hint on the data's own database: statements of the pending migrations that
   * touch a table the database says is large inside a transaction (large-table-in-transaction).
   */
  readonly sizeHints: readonly LintFinding[];
}

export interface RehearsalOptions {
  readonly onProgress?: (line: string) => void;
  /**
   * Aborting (Ctrl-C in the CLI) drops the scratch database at once, which ends the step in
   * flight; the rehearsal then reports it as failed. Nothing is left on the server.
   */
  readonly signal?: AbortSignal;
  /** For the description of what the entities were compared with. */
  readonly entityGroups?: EntityGroups;
  /** Copy the real database's data (a consistent snapshot) into the scratch database before the steps. */
  readonly withData?: boolean;
  /** With withData: copy at most this many rows of each table (the report says which were sampled). */
  readonly maxRowsPerTable?: number;
  /**
   * Rehearse on this database instead of a scratch copy: one the user made for it (a Neon
   * branch, a restored backup), initialized, at the real database's state. It is not dropped: the
   * pending migrations stay applied on it.
   */
  readonly on?: DataSource;
  /** The lint configuration: its largeTable threshold decides the size hints. */
  readonly lintConfig?: LintConfig;
}

/** The report of a run of steps: the totals, what stayed applied, and the drift left against the entities. */
export async function finish(
  run: StepsRun,
  base: Pick<RehearsalReport, 'mode' | 'scratchDatabase' | 'copied' | 'replayed' | 'dropped' | 'extensions' | 'sizeHints'>,
  ds: DataSource,
  opts: RehearsalOptions,
  started: number,
): Promise<RehearsalReport> {
  const diff = await diffSchema(ds, opts.entityGroups);
  const drift = run.failed ? [] : diff.up.map((q) => q.query);
  const sum = (pick: (s: RehearsalStep) => number) => run.steps.reduce((n, s) => n + pick(s), 0);
  return {
    ...base,
    ok: !run.failed && drift.length === 0,
    sampled: base.copied.some((c) => c.sampled),
    steps: run.steps,
    destroyedTotal: sum((s) => s.destroyed.total),
    overwrittenTotal: sum((s) => (s.step === 'up' ? Object.values(s.overwritten).reduce((a, b) => a + b, 0) : 0)),
    leftApplied: leftApplied(run.steps),
    warnings: run.steps.filter((s) => s.emptyDown).map((s) => `${s.migration}: down() is empty, so nothing reverts what up() did`),
    downLeftovers: run.downLeftovers,
    drift,
    compared: diff.compared,
    durationMs: performance.now() - started,
  };
}

/**
 * The pending migrations applied where the steps ran once they stopped: a migration is applied
 * after a successful `up` or `up again`, and still applied after a failed `down` (rolled back).
 */
function leftApplied(steps: readonly RehearsalStep[]): string[] {
  const applied = new Set<string>();
  for (const s of steps) {
    if (s.step !== 'down' && s.ok) applied.add(s.migration);
    if (s.step === 'down' && s.ok) applied.delete(s.migration);
  }
  return [...applied];
}
