import path from 'node:path';
import { Client } from 'pg';
import type { Config } from '../config/config';
import { embeddedUrl, startEmbeddedPostgres, type EmbeddedPostgres } from '../db/embedded-postgres';
import type { Queryable } from './history';
import { assertDirectEndpoint, poolerRejection, unreachable } from './pooler';

/**
 * How the tool reaches the database: shared by MigrationDataSource (commands that write or need
 * TypeORM) and by the plain pg connection of the read-only commands, so both decide the same.
 */

export const MIGRATION_APPLICATION_NAME = 'cathouse-migrate';

/** The URL migrations use: the one given, else MIGRATION_DATABASE_URL, else the embedded server. */
export function migrationUrl(config: Config, url?: string): { url: string; embedded: boolean } {
  const chosen = url ?? config.db.migrationUrl;
  return chosen ? { url: chosen, embedded: false } : { url: embeddedUrl(config.embedded.port), embedded: true };
}

/**
 * The `options` startup parameter of every migration connection: the session's timeouts. A real
 * server accepts it; PgBouncer rejects it ("unsupported startup parameter"), which is how a
 * pooler on an unusual host and port is still recognised (pooler.ts).
 */
export function sessionStartupOptions(config: Config): string {
  const { ddlLockTimeoutMs, statementTimeoutMs } = config.migrations;
  return `-c lock_timeout=${ddlLockTimeoutMs} -c statement_timeout=${statementTimeoutMs}`;
}

/** Starts (or reuses) the embedded development server the tool falls back to. */
export function startEmbeddedForMigrations(config: Config): Promise<EmbeddedPostgres> {
  return startEmbeddedPostgres({
    dataDir: path.join(config.embedded.dataDir, 'postgres'),
    port: config.embedded.port,
    persistent: true,
  });
}

/** Maps a failure to connect to the one-line error naming MIGRATION_DATABASE_URL, when it is one. */
export function connectionError(err: unknown, url: string): unknown {
  return poolerRejection(err, url) ?? unreachable(err, url, 'MIGRATION_DATABASE_URL') ?? err;
}

export interface ReadConnection extends Queryable {
  close(): Promise<void>;
}

/**
 * One plain pg connection for the read-only commands (status, history): the same URL, checks
 * and startup options as MigrationDataSource, without loading TypeORM.
 */
export async function openReadConnection(config: Config): Promise<ReadConnection> {
  const { url, embedded } = migrationUrl(config);
  if (!embedded) assertDirectEndpoint(url);
  const server = embedded ? await startEmbeddedForMigrations(config) : undefined;
  const client = new Client({
    connectionString: url,
    connectionTimeoutMillis: config.db.connectTimeoutMs,
    application_name: MIGRATION_APPLICATION_NAME,
    options: sessionStartupOptions(config),
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (err) {
    await server?.stop();
    throw connectionError(err, url);
  }
  return {
    query: async (sql, parameters) => (await client.query(sql, parameters as unknown[])).rows,
    close: async () => {
      try {
        await client.end();
      } finally {
        await server?.stop();
      }
    },
  };
}
