import path from 'node:path';
import { MigrationDataSource as LockedMigrationDataSource, type MigratorEvent } from '@cathouse/migrator';
import type { MigrationConfig } from '../config/config';
import { MIGRATIONS_DIR, baseOptions } from './base-options';
import { embeddedPassword, embeddedRolePassword, type EmbeddedPostgres } from './embedded-postgres';
import { embeddedDataDir, migrationUrl, startEmbeddedForMigrations } from './migration-connection';
import { MIGRATION_APPLICATION_NAME, MIGRATION_HISTORY, MIGRATION_LOCK_TIMEOUT_NAME, MIGRATION_URL_NAME } from './migration-paths';
import { privilegeSettings } from './privileges';

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
  /**
   * The superuser password of the embedded server `url` points at (npm start passes it): the
   * service roles are then created with passwords derived from it. Implied when no URL is given.
   */
  readonly embeddedPassword?: string;
}

/**
 * Cat House's wiring of @cathouse/migrator's MigrationDataSource: every service's entities, the
 * migrations folder, the timeouts from the configuration, and MIGRATION_DATABASE_URL, or with no
 * URL the embedded development server, started on `initialize()` if it is not already running
 * (so `npm run migration:run` works beside, or without, `npm start`).
 */
export class MigrationDataSource extends LockedMigrationDataSource {
  private embedded: EmbeddedPostgres | undefined;
  /** True when no URL was given and no MIGRATION_DATABASE_URL is set: the embedded server is used. */
  readonly usesEmbedded: boolean;
  declare readonly url: string;

  constructor(
    readonly config: MigrationConfig,
    url?: string,
    options: MigrationDataSourceOptions = {},
  ) {
    const { url: resolved, embedded } = migrationUrl(config, url);
    const migrationsDir = options.migrationsDir ?? MIGRATIONS_DIR;
    const base = baseOptions(resolved);
    super(
      {
        ...base,
        entities: options.loadEntities === false ? [] : base.entities,
        migrations: options.loadMigrations === false ? [] : [path.join(migrationsDir, '*.{ts,js}')],
        // One transaction per migration for the plain TypeORM CLI too (its default is one for the
        // whole run, which cannot hold a `transaction = false` migration such as AuditEventsPartitioned).
        migrationsTransactionMode: 'each',
        extra: { connectionTimeoutMillis: config.db.connectTimeoutMs },
      },
      {
        migrationsDir,
        timeouts: { ...config.migrations, lockTimeoutName: MIGRATION_LOCK_TIMEOUT_NAME },
        history: MIGRATION_HISTORY,
        privileges: privilegeSettings(config, embeddedRoles(config, embedded ? embeddedPassword(embeddedDataDir(config)) : options.embeddedPassword)),
        urlName: MIGRATION_URL_NAME,
        applicationName: MIGRATION_APPLICATION_NAME,
        onEvent: options.onEvent,
      },
    );
    this.usesEmbedded = embedded;
  }

  override async initialize(): Promise<this> {
    if (this.usesEmbedded && !this.embedded) this.embedded = await startEmbeddedForMigrations(this.config);
    return super.initialize();
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
}

function embeddedRoles(config: MigrationConfig, superuserPassword: string | undefined): { embeddedRolePassword?: (role: string) => string } {
  return superuserPassword === undefined ? {} : { embeddedRolePassword: (role) => embeddedRolePassword(superuserPassword, role) };
}
