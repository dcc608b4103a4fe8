import path from 'node:path';
import { openReadConnection, type ReadConnection } from '@cathouse/migrator/read';
import type { MigrationConfig } from '../config/config';
import { embeddedPassword, embeddedUrl, startEmbeddedPostgres, type EmbeddedPostgres } from './embedded-postgres';
import { MIGRATION_APPLICATION_NAME, MIGRATION_LOCK_TIMEOUT_NAME, MIGRATION_URL_NAME } from './migration-paths';

/**
 * Where Cat House's migrations connect: the URL given, else MIGRATION_DATABASE_URL, else the
 * embedded development server (started on demand). Shared by MigrationDataSource and the
 * read-only CLI commands, and free of TypeORM so that `status` starts fast.
 */
export function migrationUrl(config: MigrationConfig, url?: string): { url: string; embedded: boolean } {
  const chosen = url ?? config.db.migrationUrl;
  return chosen ? { url: chosen, embedded: false } : { url: embeddedUrl(config.embedded.port, embeddedPassword(embeddedDataDir(config))), embedded: true };
}

/** The embedded development cluster's directory: DATA_DIR/postgres (its superuser password beside it). */
export function embeddedDataDir(config: MigrationConfig): string {
  return path.join(config.embedded.dataDir, 'postgres');
}

/** Starts (or reuses) the embedded development server the tool falls back to. */
export function startEmbeddedForMigrations(config: MigrationConfig): Promise<EmbeddedPostgres> {
  return startEmbeddedPostgres({
    dataDir: embeddedDataDir(config),
    port: config.embedded.port,
    persistent: true,
  });
}

/** One plain pg connection for status and history (no TypeORM), the embedded server started if needed. */
export async function openMigrationReadConnection(config: MigrationConfig): Promise<ReadConnection> {
  const { url, embedded } = migrationUrl(config);
  const server = embedded ? await startEmbeddedForMigrations(config) : undefined;
  let db: ReadConnection;
  try {
    db = await openReadConnection({
      url,
      timeouts: { ...config.migrations, lockTimeoutName: MIGRATION_LOCK_TIMEOUT_NAME },
      urlName: MIGRATION_URL_NAME,
      applicationName: MIGRATION_APPLICATION_NAME,
      connectTimeoutMs: config.db.connectTimeoutMs,
    });
  } catch (err) {
    await server?.stop();
    throw err;
  }
  return {
    query: (sql, parameters) => db.query(sql, parameters),
    close: async () => {
      try {
        await db.close();
      } finally {
        await server?.stop();
      }
    },
  };
}
