import { MigratorError } from '@cathouse/migrator/read';
import type { MigratorEvent } from '@cathouse/migrator';
import type { MigrationConfig } from '../../config/config';
import type { MigrationDataSource } from '../../db/migration-data-source';

/** What `npm run migrate` commands share: exit codes, the usage error, lazy loaders and the context each command gets. */
export const EXIT = { ok: 0, problem: 1, usage: 2 } as const;

export interface Io {
  out(text: string): void;
  err(text: string): void;
}

export class UsageError extends MigratorError {
  constructor(message: string) {
    super('usage', `${message} (npm run migrate -- --help)`);
  }
}

// Modules that load TypeORM (and, for generate/check/rehearse, every entity) are required only by
// the commands that use them: status and history start without them.
/* eslint-disable @typescript-eslint/no-require-imports */
export const lazy = {
  dataSource: () => loadingEntities(() => require('../../db/migration-data-source') as typeof import('../../db/migration-data-source')),
  migrator: () => require('@cathouse/migrator') as typeof import('@cathouse/migrator'),
  entities: () => loadingEntities(() => require('../../db/entities') as typeof import('../../db/entities')),
};
/* eslint-enable @typescript-eslint/no-require-imports */

/** Loading these modules compiles every service's entities: a failure becomes one line (exit 2). */
function loadingEntities<T>(load: () => T): T {
  try {
    return load();
  } catch (err) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    throw (require('../import-errors') as typeof import('../import-errors')).entityImportError(err);
  }
}

/** The options `npm run migrate` parses (node:util parseArgs). */
export interface MigrateOptions {
  readonly json: boolean;
  readonly sql: boolean;
  readonly verbose: boolean;
  readonly 'allow-out-of-order': boolean;
  readonly 'with-data': boolean;
  readonly 'max-rows-per-table'?: string;
  readonly on?: string;
  readonly dir?: string;
  readonly help: boolean;
}

/** What one command receives: its arguments and options, the configuration, and a way to the database. */
export interface MigrateContext {
  readonly command: string;
  readonly args: readonly string[];
  readonly values: MigrateOptions;
  /** `-N` of down, taken out before parsing. */
  readonly steps: number | undefined;
  readonly config: MigrationConfig;
  /** --dir, resolved; undefined: the service's src/migrations. */
  readonly migrationsDir: string | undefined;
  readonly io: Io;
  progress(e: MigratorEvent): void;
  /** Prints `value` as JSON with --json, else `text`. */
  print(value: unknown, text: string): void;
  /** Refuses more than `max` arguments, naming what the command takes. */
  expectArgs(max: number, what: string): void;
  /** Opens (and remembers, for closeAll) a migration DataSource. */
  open(): Promise<MigrationDataSource>;
  /** Remembers a DataSource the command opened itself, for closeAll. */
  opened(ds: MigrationDataSource): void;
  closeAll(): Promise<void>;
}
