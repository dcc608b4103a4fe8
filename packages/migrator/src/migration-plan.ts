import { MigratorError } from './errors';
import type { MigrationFile } from './migration-files';
import type { TransactionMode } from './migration-run';
import type { MigrationState, Problem } from './migration-state';
import { assertRangeOrder, resolveTarget } from './targets';

// Which migrations a run of `up` or `down` takes, from the options, the files and the history.

export interface UpOptions {
  /** A TARGET (name or unique prefix of name or timestamp) to stop at, inclusive. */
  readonly target?: string;
  /** Apply only the next N pending migrations. */
  readonly steps?: number;
  /** Capture the SQL instead of running it. */
  readonly dryRun?: boolean;
  /** Apply pending migrations older than the newest applied one (merged branches). */
  readonly allowOutOfOrder?: boolean;
  /** Apply exactly these pending migrations, in this order (rehearsal replays a history). */
  readonly only?: readonly string[];
  /**
   * With dryRun, Alembic's range form `FROM:TO`: the SQL from revision FROM ('base' or a TARGET)
   * to `target`, by timestamp and without asking the database which is applied.
   */
  readonly from?: string;
  /** Transactions of the run (default: the DataSource's migrationsTransactionMode, else each). */
  readonly transaction?: TransactionMode;
}

export interface DownOptions {
  /** Revert everything applied after this TARGET ('base': everything). */
  readonly target?: string;
  /** Revert the last N applied (default 1 when no target). */
  readonly steps?: number;
  readonly dryRun?: boolean;
  /** With dryRun, the range form `FROM:TO` (e.g. `head:base`): revert from FROM down to `target`, by timestamp. */
  readonly from?: string;
  readonly transaction?: TransactionMode;
}

/** The pending migrations `up` applies: all, up to a target, N steps, exactly `only`, or a range's files (--sql). */
export function planUp(opts: UpOptions, state: MigrationState, files: MigrationFile[]): MigrationFile[] {
  if (opts.from !== undefined) {
    assertRangeOrder('up', opts.from, opts.target ?? 'head', files);
    const lower = revisionTimestamp(opts.from, files);
    const upper = revisionTimestamp(opts.target ?? 'head', files);
    return files.filter((f) => f.timestamp > lower && f.timestamp <= upper);
  }
  refuseProblems(state, opts.allowOutOfOrder ?? false);
  const pending = files.filter((f) => state.pending.includes(f.name));
  if (opts.only) return opts.only.map((name) => pending.find((p) => p.name === name)).filter((f) => f !== undefined);
  if (opts.target !== undefined) {
    const target = resolveTarget(opts.target, files);
    if (!pending.some((p) => p.name === target.name) && state.migrations.find((m) => m.name === target.name)?.applied) {
      return [];
    }
    return pending.filter((p) => p.timestamp <= target.timestamp);
  }
  return opts.steps !== undefined ? pending.slice(0, opts.steps) : pending;
}

/** The applied migrations `down` reverts, newest first: the last one, N, everything after a target, or all (base). */
export function planDown(opts: DownOptions, state: MigrationState, files: MigrationFile[]): MigrationFile[] {
  if (opts.from !== undefined) {
    assertRangeOrder('down', opts.from, opts.target ?? 'base', files);
    const upper = revisionTimestamp(opts.from, files);
    const lower = revisionTimestamp(opts.target ?? 'base', files);
    return files.filter((f) => f.timestamp <= upper && f.timestamp > lower).reverse();
  }
  const applied = state.migrations
    .filter((m) => m.applied)
    .sort((a, b) => (b.appliedOrder ?? 0) - (a.appliedOrder ?? 0));
  let chosen: typeof applied;
  if (opts.target === 'base') chosen = applied;
  else if (opts.target !== undefined) {
    const target = resolveTarget(opts.target, state.migrations);
    chosen = applied.filter((m) => m.timestamp > target.timestamp);
  } else chosen = applied.slice(0, opts.steps ?? 1);
  return chosen.map((m) => {
    const file = files.find((f) => f.name === m.name);
    if (!file) {
      throw new MigratorError(
        'missing_migration_file',
        `cannot revert ${m.name}: it is applied but no migration file defines it; deploy a build that has it, or record the state with stamp`,
        { migration: m.name },
      );
    }
    return file;
  });
}

/** A revision of the range form: 'base' (before everything), 'head' (the newest file), or a TARGET. */
function revisionTimestamp(revision: string, files: readonly MigrationFile[]): number {
  if (revision === 'base') return -Infinity;
  if (revision === 'head') return Infinity;
  return resolveTarget(revision, files).timestamp;
}

export function assertRangeIsPreview(opts: { dryRun?: boolean; from?: string }): void {
  if (!opts.dryRun) {
    throw new MigratorError('usage', `a range (${opts.from}:...) is for the SQL preview only (--sql); to migrate, give the target alone`);
  }
}

/** `up` never runs on top of a history it cannot trust. */
function refuseProblems(state: MigrationState, allowOutOfOrder: boolean): void {
  const blocking = state.problems.filter((p) => p.code !== 'out_of_order' || !allowOutOfOrder);
  const first: Problem | undefined = blocking[0];
  if (!first) return;
  const more = blocking.length > 1 ? ` (and ${blocking.length - 1} more problem(s): run migrator status)` : '';
  throw new MigratorError(first.code, `refusing to migrate: ${first.message}${more}`, { problems: blocking });
}
