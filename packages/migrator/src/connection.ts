import { Client } from 'pg';
import type { Queryable } from './history';
import type { SessionTimeouts } from './migration-lock';
import { MigratorError } from './errors';
import { quietSslMode } from './ssl-mode';
import { assertDirectEndpoint, isConnectFailure, poolerRejection, unreachable } from './pooler';

/**
 * How the tool reaches the database, shared by MigrationDataSource (commands that write or need
 * TypeORM) and by the plain pg connection of the read-only commands, so both decide the same.
 * This module does not load TypeORM: `status` and `history` start without it.
 */

export { quietSslMode } from './ssl-mode';

export const DEFAULT_APPLICATION_NAME = 'migrator';
export const DEFAULT_URL_NAME = 'the migration database URL';

/**
 * The `options` startup parameter of every migration connection: the session's timeouts. A real
 * server accepts it; PgBouncer 1.18 rejects it ("unsupported startup parameter"), which is how a
 * pooler on an unusual host and port is still recognised at no extra round trip (pooler.ts).
 */
export function sessionStartupOptions(timeouts: SessionTimeouts): string {
  return `-c lock_timeout=${Math.trunc(timeouts.ddlLockTimeoutMs)} -c statement_timeout=${Math.trunc(timeouts.statementTimeoutMs)}`;
}

/**
 * Maps a failure to connect to the one-line error naming the URL's setting. `connecting`: the
 * error came from connecting alone, so whatever it is, it is one; otherwise only errors that look
 * like a failed connection are mapped (an entity TypeORM refuses stays what it is).
 */
export function connectionError(err: unknown, url: string, urlName: string = DEFAULT_URL_NAME, connecting = false): unknown {
  if (err instanceof MigratorError) return err;
  return poolerRejection(err, url, urlName) ?? (connecting || isConnectFailure(err) ? unreachable(err, url, urlName) : err);
}

export interface ReadConnection extends Queryable {
  close(): Promise<void>;
}

export interface ReadConnectionOptions {
  readonly url: string;
  readonly timeouts: SessionTimeouts;
  /** What the user calls the URL, for messages (default "the migration database URL"). */
  readonly urlName?: string;
  readonly applicationName?: string;
  readonly connectTimeoutMs?: number;
}

/**
 * One plain pg connection for the read-only commands (status, history): the same checks and
 * startup options as MigrationDataSource, without loading TypeORM. Throws a MigratorError naming
 * the URL when it points at a pooler or cannot be reached.
 */
export async function openReadConnection(opts: ReadConnectionOptions): Promise<ReadConnection> {
  const urlName = opts.urlName ?? DEFAULT_URL_NAME;
  assertDirectEndpoint(opts.url, urlName);
  const client = new Client({
    connectionString: quietSslMode(opts.url),
    connectionTimeoutMillis: opts.connectTimeoutMs ?? 10_000,
    application_name: opts.applicationName ?? DEFAULT_APPLICATION_NAME,
    options: sessionStartupOptions(opts.timeouts),
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (err) {
    // pg leaves the socket open when it gives up itself (SCRAM without a password): close it.
    await client.end().catch(() => undefined);
    throw connectionError(err, opts.url, urlName, true);
  }
  return {
    query: async (sql, parameters) => (await client.query(sql, parameters as unknown[])).rows,
    close: () => client.end(),
  };
}
