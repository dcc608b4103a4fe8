import path from 'node:path';

/**
 * Where the migrations of every service live (one history for the shared database) and where the
 * history is recorded. Kept apart from the entities so the migration CLI can read them without
 * loading TypeORM or any entity (its start-up time depends on it).
 */
export const MIGRATIONS_DIR = path.resolve(__dirname, '../migrations');
export const MIGRATIONS_GLOB = path.join(MIGRATIONS_DIR, '*.{ts,js}');

/**
 * The migration tool's own schema: its history (TypeORM's `migrations`) and checksums live here,
 * in no service's schema, so no service's privileges or schema diff ever cover them.
 */
export const MIGRATIONS_SCHEMA = 'migrator';
/** The history table, schema-qualified (both plain lower-case identifiers: usable in SQL as is). */
export const MIGRATIONS_TABLE = `${MIGRATIONS_SCHEMA}.migrations`;

/**
 * The history tables of the shared database (@cathouse/migrator's `history` option). Versions
 * before the service schemas kept them in `public`: the first `up` moves them here (moveFrom).
 */
export const MIGRATION_HISTORY = { schema: MIGRATIONS_SCHEMA, table: 'migrations', checksumsTable: 'migration_checksums', moveFrom: 'public' } as const;

/** How users name the migration URL: every connection error of the tool says it. */
export const MIGRATION_URL_NAME = 'MIGRATION_DATABASE_URL';
export const MIGRATION_APPLICATION_NAME = 'cathouse-migrate';

/** The lint's configuration: each rule's severity (error, warning, off). */
export const MIGRATION_LINT_CONFIG = path.resolve(__dirname, '../../migration-lint.json');
/** How users set the migration lock's timeout: named when it runs out. */
export const MIGRATION_LOCK_TIMEOUT_NAME = 'MIGRATION_LOCK_TIMEOUT_MS';
