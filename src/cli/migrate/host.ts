import path from 'node:path';
import type { CliHost, HostSession, OpenOptions, OpenedSource, OptionValues } from '@cathouse/migrator/cli';
import type { LintConfig, NeonTarget } from '@cathouse/migrator';
import { ConfigError, loadMigrationConfig, type MigrationConfig } from '../../config/config';
import { openMigrationReadConnection } from '../../db/migration-connection';
import type { MigrationDataSource } from '../../db/migration-data-source';
import { MIGRATIONS_DIR, MIGRATION_HISTORY, MIGRATION_LINT_CONFIG } from '../../db/migration-paths';
import { privilegeSettings } from '../../db/privileges';

/**
 * What Cat House adds to @cathouse/migrator's generic CLI: its configuration (MIGRATION_DATABASE_URL
 * or the embedded development server, the timeouts), the migrations folder, the history schema,
 * the privilege policy and its roles, the lint configuration, every service's entities, and the
 * words (`npm run migrate -- up`, src/db/privileges.ts).
 */
export const catHouseHost: CliHost = {
  invocation: 'npm run migrate --',
  options: { dir: { type: 'string', help: '--dir DIR   migrations directory (default src/migrations)' } },
  usageNotes: ['database: MIGRATION_DATABASE_URL, else the embedded development server (see docs/migrations.md)'],
  policyName: 'src/db/privileges.ts',
  session: (values) => catHouseSession(loadMigrationConfig(), values),
  usageError: (err) => (err instanceof ConfigError ? { code: err.code, message: err.message } : undefined),
  // The library and the generic CLI name their own commands (`migrator up`); here they are npm scripts.
  words: (text) => text.replace(/\bmigrator (?=(status|current|history|heads|show|branches|up|down|stamp|merge|rebase|generate|revision|create|lint|check|rehearse)\b)/g, 'npm run migrate -- '),
};

function catHouseSession(config: MigrationConfig, values: OptionValues): HostSession {
  const migrationsDir = typeof values.dir === 'string' ? path.resolve(values.dir) : MIGRATIONS_DIR;
  const opened: MigrationDataSource[] = [];
  let lintConfig: LintConfig | undefined;
  return {
    migrations: migrationsDir,
    migrationsDir,
    history: MIGRATION_HISTORY,
    get lintConfig() {
      return (lintConfig ??= lazy.migrator().readLintConfig(MIGRATION_LINT_CONFIG));
    },
    async openRead() {
      const db = await openMigrationReadConnection(config);
      return { db, history: MIGRATION_HISTORY, privileges: privilegeSettings(config), close: () => db.close() };
    },
    async open({ entities, onEvent, url }: OpenOptions): Promise<OpenedSource> {
      // reflect-metadata must be loaded before the entities' decorators run.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      require('reflect-metadata');
      const { MigrationDataSource } = lazy.dataSource();
      const ds = new MigrationDataSource(config, url, { migrationsDir, loadMigrations: false, loadEntities: entities, onEvent });
      opened.push(ds);
      await ds.initialize();
      return { dataSource: ds, migrator: ds.migrator('migrate', onEvent) };
    },
    entityGroups: () => lazy.entities().entitiesByService,
    neon: () => neonTarget(config),
    async close() {
      for (const ds of opened.splice(0)) await ds.destroy();
    },
  };
}

/** rehearse --neon: NEON_API_KEY and NEON_PROJECT_ID, and MIGRATION_DATABASE_URL's database, role and host. */
function neonTarget(config: MigrationConfig): NeonTarget {
  const neon = config.neon;
  const missing = [!neon?.apiKey && 'NEON_API_KEY', !neon?.projectId && 'NEON_PROJECT_ID', !config.db.migrationUrl && 'MIGRATION_DATABASE_URL'].filter(Boolean);
  if (missing.length || !neon) {
    throw new ConfigError(String(missing[0]), `rehearse --neon needs ${missing.join(', ')}: the Neon project's API key and id, and the URL of the database to branch (see .env.example)`);
  }
  const url = new URL(config.db.migrationUrl!);
  return {
    settings: { apiKey: neon.apiKey!, projectId: neon.projectId!, parentBranchId: neon.parentBranchId, apiUrl: neon.apiUrl },
    databaseName: decodeURIComponent(url.pathname.slice(1)),
    roleName: decodeURIComponent(url.username),
    host: url.hostname,
  };
}

// Modules that load TypeORM (and, for generate/check/rehearse, every entity) are required only by
// the commands that use them: status and history start without them.
/* eslint-disable @typescript-eslint/no-require-imports */
const lazy = {
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
