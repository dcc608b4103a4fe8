import type { MigratorError } from './errors';
import type { PrivilegeResult } from './privileges/apply';
import type { CapturedStatement } from './sql-capture';

// What the Migrator's verbs return: the outcome of each migration of a run, never printed or exited on.

export type Direction = 'up' | 'down';

export interface MigrationOutcome {
  readonly name: string;
  readonly direction: Direction;
  /** rolled-back: done, then undone with the rest of a --transaction all run; unavailable: --sql could not preview it (see reason). */
  readonly status: 'done' | 'failed' | 'rolled-back' | 'previewed' | 'unavailable';
  readonly durationMs: number;
  readonly transaction: boolean;
  /** For --sql: the statements it would run. */
  readonly statements?: readonly CapturedStatement[];
  /** For --sql: the migration reads data or the schema, so the preview shows what it did with empty answers. */
  readonly readsData?: boolean;
  /** For --sql: why it could not be previewed (status unavailable). */
  readonly reason?: string;
}

/**
 * The result of a run. Every problem found before anything changed is thrown as a MigratorError;
 * once migrations have started, a failure is returned in `error` beside what was done, so the
 * caller always learns which migrations are applied.
 */
export interface RunResult {
  readonly direction: Direction;
  readonly dryRun: boolean;
  readonly results: readonly MigrationOutcome[];
  readonly error?: MigratorError;
  readonly adopted: readonly string[];
  readonly lockWaitedMs: number;
  readonly durationMs: number;
  /** The SQL script of a dry run, migration names as comments. */
  readonly sql?: string;
  /** With a privilege policy, what `up` did (or, dry, would do) to the privileges. */
  readonly privileges?: PrivilegeResult;
}

export interface StampResult {
  readonly inserted: readonly string[];
  readonly deleted: readonly string[];
  /** Applied migrations no source defines, left in the history (deleteMissing removes them). */
  readonly kept: readonly string[];
  /** Applied migrations whose checksum it recorded (applied by TypeORM itself, or recorded by an earlier version). */
  readonly checksummed: readonly string[];
  readonly current: string | null;
}
