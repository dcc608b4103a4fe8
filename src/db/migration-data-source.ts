import path from 'node:path';
import { DataSource, Migration } from 'typeorm';
import type { Config } from '../config/config';
import { MigratorError } from '../migrator/errors';
import { Migrator, type MigratorEvent } from '../migrator/migrator';
import {
  MIGRATION_APPLICATION_NAME,
  connectionError,
  migrationUrl,
  sessionStartupOptions,
  startEmbeddedForMigrations,
} from '../migrator/direct-connection';
import { assertDirectEndpoint } from '../migrator/pooler';
import { MIGRATIONS_DIR, baseOptions } from './base-options';
import type { EmbeddedPostgres } from './embedded-postgres';

export interface MigrationDataSourceOptions {
  /** Directory of migration files (default src/migrations); tests point it at fixtures. */
  readonly migrationsDir?: string;
  /**
   * Load every migration file on initialize(), as the plain TypeORM CLI expects (default true).
   * `npm run migrate` passes false and loads only the migrations a command runs.
   */
  readonly loadMigrations?: boolean;
  /** Map the entities (default true); only generate, check and rehearse need them. */
  readonly loadEntities?: boolean;
  /** Progress of migration runs; by default lock waits are written to stderr. */
  readonly onEvent?: (event: MigratorEvent) => void;
}

/**
 * The DataSource migrations run through, over the direct endpoint (MIGRATION_DATABASE_URL):
 * one real session, so it can hold an advisory lock and run DDL. With no URL configured it
 * points at the embedded development server and starts it on `initialize()` if it is not
 * already running (so `npm run migration:run` works beside, or without, `npm start`).
 *
 * runMigrations() and undoLastMigration() go through the Migrator, so the plain TypeORM CLI
 * (`npm run migration:run|revert`) takes the same lock and checks the same checksums as
 * `npm run migrate`.
 */
export class MigrationDataSource extends DataSource {
  private embedded: EmbeddedPostgres | undefined;
  /** True when no URL was given and no MIGRATION_DATABASE_URL is set: the embedded server is used. */
  readonly usesEmbedded: boolean;
  readonly url: string;
  readonly migrationsDir: string;

  constructor(
    readonly config: Config,
    url?: string,
    private readonly migratorOptions: MigrationDataSourceOptions = {},
  ) {
    const { url: resolved, embedded } = migrationUrl(config, url);
    const migrationsDir = migratorOptions.migrationsDir ?? MIGRATIONS_DIR;
    const base = baseOptions(resolved);
    super({
      ...base,
      entities: migratorOptions.loadEntities === false ? [] : base.entities,
      migrations: migratorOptions.loadMigrations === false ? [] : [path.join(migrationsDir, '*.{ts,js}')],
      // One migration per transaction, so a failure leaves the earlier ones applied.
      migrationsTransactionMode: 'each',
      extra: {
        max: 2,
        connectionTimeoutMillis: config.db.connectTimeoutMs,
        application_name: MIGRATION_APPLICATION_NAME,
        // Timeouts as a startup parameter: every connection of this DataSource has them, and a
        // PgBouncer in front refuses the parameter, which is how we recognise it (see pooler.ts).
        options: sessionStartupOptions(config),
      },
    });
    this.url = resolved;
    this.migrationsDir = migrationsDir;
    this.usesEmbedded = embedded;
  }

  override async initialize(): Promise<this> {
    if (!this.usesEmbedded) assertDirectEndpoint(this.url);
    if (this.usesEmbedded && !this.embedded) this.embedded = await startEmbeddedForMigrations(this.config);
    try {
      return await super.initialize();
    } catch (err) {
      throw connectionError(err, this.url);
    }
  }

  override async destroy(): Promise<void> {
    try {
      if (this.isInitialized) await super.destroy();
    } finally {
      const embedded = this.embedded;
      this.embedded = undefined;
      await embedded?.stop();
    }
  }

  /** A Migrator over this DataSource, with the configured timeouts. */
  migrator(via = 'migrate', onEvent = this.migratorOptions.onEvent ?? writeLockWaits): Migrator {
    return new Migrator({ dataSource: this, migrationsDir: this.migrationsDir, timeouts: this.config.migrations, via, onEvent });
  }

  /**
   * TypeORM's entry point (`typeorm migration:run`, `migrationsRun`), rerouted through the
   * Migrator: migration lock, checksum and history checks, one transaction per migration.
   * `fake` is refused: `npm run migrate -- stamp` records history without running SQL.
   */
  override async runMigrations(options?: { transaction?: 'all' | 'none' | 'each'; fake?: boolean }): Promise<Migration[]> {
    if (options?.fake) {
      throw new MigratorError('usage', 'migration:run --fake is not supported here: record the state with npm run migrate -- stamp head');
    }
    const result = await this.migrator('typeorm migration:run').up();
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

  /** `typeorm migration:revert`: reverts the last applied migration under the migration lock. */
  override async undoLastMigration(options?: { transaction?: 'all' | 'none' | 'each'; fake?: boolean }): Promise<void> {
    if (options?.fake) {
      throw new MigratorError('usage', 'migration:revert --fake is not supported here: record the state with npm run migrate -- stamp TARGET');
    }
    const result = await this.migrator('typeorm migration:revert').down({ steps: 1 });
    if (result.error) throw result.error;
  }
}

function writeLockWaits(event: MigratorEvent): void {
  if (event.type === 'lock-wait') process.stderr.write(`${event.message}\n`);
}
