import path from 'node:path';

/**
 * Where the migrations of every service live (one history for the shared database) and the
 * table TypeORM records them in. Kept apart from the entities so the migration CLI can read them
 * without loading TypeORM or any entity (its start-up time depends on it).
 */
export const MIGRATIONS_DIR = path.resolve(__dirname, '../migrations');
export const MIGRATIONS_GLOB = path.join(MIGRATIONS_DIR, '*.{ts,js}');
/**
 * The migration tool's own schema: its history (TypeORM's `migrations`) and checksums live here,
 * in no service's schema, so no service's privileges or schema diff ever cover them.
 */
export const MIGRATIONS_SCHEMA = 'migrator';
export const MIGRATIONS_TABLE = `${MIGRATIONS_SCHEMA}.migrations`;
