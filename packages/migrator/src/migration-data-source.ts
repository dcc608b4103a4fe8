import { DataSource, Migration, type DataSourceOptions } from 'typeorm';
import { DEFAULT_APPLICATION_NAME, DEFAULT_URL_NAME, connectionError, quietSslMode, sessionStartupOptions } from './connection';
import { MigratorError } from './errors';
import type { HistoryLocation } from './history';
import type { SessionTimeouts } from './migration-lock';
import { Migrator, type MigratorEvent } from './migrator';
import { assertDirectEndpoint } from './pooler';
import type { PrivilegeSettings } from './privileges/policy';

/** TypeORM's options for PostgreSQL. */
export type PostgresOptions = Extract<DataSourceOptions, { type: 'postgres' }>;

export interface MigrationSettings {
  /** The folder of migration files (default: the DataSource's `migrations` option, as TypeORM reads it). */
  readonly migrationsDir?: string;
  readonly timeouts: SessionTimeouts;
  /** Where the history tables are (see MigratorOptions.history). */
  readonly history?: Partial<HistoryLocation>;
  /** What the user calls the URL, e.g. the environment variable that holds it; named in every connection error. */
  readonly urlName?: string;
  /** application_name of the tool's sessions (shown to whoever waits for the lock). */
  readonly applicationName?: string;
  /** Progress of runs started through TypeORM's entry points; by default lock waits go to stderr. */
  readonly onEvent?: (event: MigratorEvent) => void;
  /** The privilege policy `up` applies and `check` compares (see MigratorOptions.privileges). */
  readonly privileges?: PrivilegeSettings;
}

/**
 * A TypeORM DataSource for migrations over the direct endpoint: one real session per run, so it
 * can hold an advisory lock and run DDL across statements. Give it to the TypeORM CLI (`-d`) and
 * TypeORM's own entry points go through the Migrator: `migration:run` and `migration:revert` take
 * the lock and check checksums, `migration:show` is read-only, and `schema:drop`/`schema:sync`,
 * which would bypass migrations on a shared database, are refused.
 */
export class MigrationDataSource extends DataSource {
  readonly settings: MigrationSettings;
  /** The URL this DataSource connects to, when it was given one (else host, port, database). */
  readonly url: string | undefined;

  constructor(options: PostgresOptions, settings: MigrationSettings) {
    super({
      ...options,
      // node-postgres's nine-line sslmode warning, for the mode it applies anyway (connection.ts).
      ...(options.url ? { url: quietSslMode(options.url) } : {}),
      extra: {
        max: 2,
        application_name: settings.applicationName ?? DEFAULT_APPLICATION_NAME,
        // Timeouts as a startup parameter: every connection of this DataSource has them, and a
        // PgBouncer in front refuses the parameter, which is how we recognise it (see pooler.ts).
        options: sessionStartupOptions(settings.timeouts),
        ...options.extra,
      },
    });
    this.settings = settings;
    this.url = options.url;
  }

  /** The folder new migrations go to. */
  get migrationsDir(): string {
    return this.settings.migrationsDir ?? this.migrator().migrationsDir;
  }

  override async initialize(): Promise<this> {
    const urlName = this.settings.urlName ?? DEFAULT_URL_NAME;
    if (this.url) assertDirectEndpoint(this.url, urlName);
    try {
      return await super.initialize();
    } catch (err) {
      throw this.url ? connectionError(err, this.url, urlName) : err;
    }
  }

  /** A Migrator over this DataSource with its settings. */
  migrator(via = 'migrate', onEvent = this.settings.onEvent ?? writeLockWaits): Migrator {
    return new Migrator({
      dataSource: this,
      migrationsDir: this.settings.migrationsDir,
      timeouts: this.settings.timeouts,
      history: this.settings.history,
      privileges: this.settings.privileges,
      urlName: this.settings.urlName,
      via,
      onEvent,
    });
  }

  /**
   * TypeORM's entry point (`typeorm migration:run`, `migrationsRun`), rerouted through the
   * Migrator: migration lock, checksum and history checks, in the transaction mode asked for
   * (`-t`, else migrationsTransactionMode, else each). `fake` is refused: stamp records history
   * without running SQL.
   */
  override async runMigrations(options?: { transaction?: 'all' | 'none' | 'each'; fake?: boolean }): Promise<Migration[]> {
    if (options?.fake) {
      throw new MigratorError('usage', 'migration:run --fake is not supported here: record the state with stamp head');
    }
    const result = await this.migrator('typeorm migration:run').up({ transaction: options?.transaction });
    if (result.error) throw result.error;
    return result.results.map((r) => new Migration(undefined, Number(r.name.slice(-13)), r.name));
  }

  /**
   * `typeorm migration:show`, read-only (TypeORM's own creates the history table, a write
   * without the lock), in TypeORM's format, followed by any problem with the history.
   */
  override async showMigrations(): Promise<boolean> {
    const state = await this.migrator().status();
    for (const m of state.migrations) {
      this.logger.logSchemaBuild(m.applied ? `[X] ${m.appliedOrder} ${m.name}` : `[ ] ${m.name}`);
    }
    for (const p of state.problems) this.logger.logSchemaBuild(`${p.code}: ${p.message}`);
    return state.pending.length > 0;
  }

  /**
   * `typeorm schema:drop` (and `dropSchema: true`): refused. It drops every table of the database
   * with no lock and no history, which on a database several services share is never what a
   * migration tool should do.
   */
  override async dropDatabase(): Promise<void> {
    throw new MigratorError(
      'usage',
      'schema:drop is refused on the migration data source: it would drop every table of the database without the migration lock; ' +
        'to revert migrations use down base (migrator down base), and drop a scratch database with DROP DATABASE',
    );
  }

  /** `typeorm schema:sync` (and `synchronize: true`): refused; the schema changes only through migrations. */
  override async synchronize(): Promise<void> {
    throw new MigratorError(
      'usage',
      'schema:sync is refused on the migration data source: it changes the schema outside the migration history; ' +
        'generate a migration from the entities (migrator generate NAME) and apply it with up',
    );
  }

  /** `typeorm migration:revert`: reverts the last applied migration under the migration lock. */
  override async undoLastMigration(options?: { transaction?: 'all' | 'none' | 'each'; fake?: boolean }): Promise<void> {
    if (options?.fake) {
      throw new MigratorError('usage', 'migration:revert --fake is not supported here: record the state with stamp TARGET');
    }
    const result = await this.migrator('typeorm migration:revert').down({ steps: 1, transaction: options?.transaction });
    if (result.error) throw result.error;
  }
}

function writeLockWaits(event: MigratorEvent): void {
  if (event.type === 'lock-wait') process.stderr.write(`${event.message}\n`);
}
