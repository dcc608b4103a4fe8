import type { DataSource, QueryRunner } from 'typeorm';
import type { HistoryOptions } from './history-location';
import type { MigrationSource } from './migration-files';
import type { LockHolder, MigrationLockKey, SessionTimeouts } from './migration-lock';
import type { PrivilegeSettings } from './privileges/policy';
import type { Direction } from './run-result';

/** Progress, for a CLI to show on stderr while a long run goes on. */
export type MigratorEvent =
  | { type: 'lock-wait'; holder: LockHolder | null; message: string }
  | { type: 'lock-acquired'; waitedMs: number }
  | { type: 'adopted'; names: string[] }
  | { type: 'privileges-applied'; statements: number; createdRoles: readonly string[] }
  /** The history was found in public and moved to the configured history schema. */
  | { type: 'history-moved'; from: string; to: string }
  | { type: 'migration-start'; name: string; direction: Direction; index: number; total: number }
  | { type: 'migration-done'; name: string; direction: Direction; durationMs: number };

export interface MigratorOptions {
  /** An initialized DataSource over the direct endpoint (PostgreSQL). */
  readonly dataSource: DataSource;
  /**
   * Where the migrations are: a folder, TypeORM's `migrations` option (globs and classes), or a
   * provider. Default: `migrationsDir`, else the DataSource's own `migrations` option.
   */
  readonly migrations?: MigrationSource;
  /** A folder of migration files (`<13-digit timestamp>-<Name>.ts|js`): the same as `migrations: dir`. */
  readonly migrationsDir?: string;
  readonly timeouts: SessionTimeouts;
  /**
   * Where the history tables are. Default, and required: where TypeORM keeps this DataSource's
   * history (`migrationsTableName`, the DataSource's `schema`), with `migration_checksums` beside
   * it. `moveFrom` moves it from an earlier schema (history-location.ts).
   */
  readonly history?: HistoryOptions;
  /** Recorded beside each checksum: which tool applied it. */
  readonly via?: string;
  /**
   * The advisory lock key (two int4). Every writer of one database must use the same; the
   * default's class id is "migr".
   */
  readonly lock?: MigrationLockKey;
  /**
   * Called after each statement a migration sends, on its connection (rehearsal records the
   * ACCESS EXCLUSIVE locks each statement takes).
   */
  readonly afterStatement?: (runner: QueryRunner, sql: string, startedMs: number) => Promise<void>;
  /** What the user calls the database URL (e.g. its environment variable), named in pooler errors. */
  readonly urlName?: string;
  readonly onEvent?: (event: MigratorEvent) => void;
  /**
   * A privilege policy: `up` applies it after the migrations, under the same lock (GRANT/REVOKE,
   * default privileges, roles when allowed); `privileges()` reports drift from it.
   */
  readonly privileges?: PrivilegeSettings;
}
