import { parse as parseConnectionString } from 'pg-connection-string';
import type { DataSource, QueryRunner } from 'typeorm';
import { MigratorError } from './errors';

/**
 * Migrations need one real server session (advisory lock, SET, DDL across statements), which a
 * transaction pooler cannot give: each transaction may land on another server connection.
 */
const POOLED_PORT = '6432';

/** Host and port as pg will use them: `?host=` and `?port=` in the query override the authority. */
export interface Endpoint {
  readonly host: string;
  readonly port: string;
}

export function endpointOf(url: string): Endpoint {
  const c = parseConnectionString(url);
  return { host: c.host ?? 'localhost', port: String(c.port ?? 5432) };
}

function fix(at: Endpoint, urlName: string): string {
  return `set ${urlName} to the direct endpoint (for Neon: the host without "-pooler"; for PgBouncer: the server's own host and port, usually 5432), not ${at.host}:${at.port}`;
}

/**
 * Refuses, before any connection, a URL that names a pooler by host or port, wherever the URL
 * puts them (authority or query parameters). `urlName` is what the user calls the URL (e.g. the
 * environment variable), so the message names it.
 */
export function assertDirectEndpoint(url: string, urlName: string): void {
  let at: Endpoint;
  try {
    new URL(url);
    at = endpointOf(url);
  } catch {
    throw new MigratorError('invalid_config', `${urlName} is not a URL: expected postgres://user:password@host:5432/database`);
  }
  if (at.host.includes('-pooler')) {
    throw new MigratorError('pooled_endpoint', `${urlName} points at a pooler (host ${at.host} contains "-pooler"): ${fix(at, urlName)}`);
  }
  if (at.port === POOLED_PORT) {
    throw new MigratorError('pooled_endpoint', `${urlName} points at port 6432, PgBouncer's port: ${fix(at, urlName)}`);
  }
}

/**
 * The migration connection sends the `options` startup parameter (it carries the session's
 * timeouts). PostgreSQL accepts it; PgBouncer answers "unsupported startup parameter: options",
 * which is how a pooler on an unusual host and port is still recognised, at no extra round trip.
 */
export function poolerRejection(err: unknown, url: string, urlName: string): MigratorError | undefined {
  const message = String((err as { message?: unknown })?.message ?? '');
  if (!/unsupported startup parameter/i.test(message)) return undefined;
  const at = endpointOf(url);
  return new MigratorError(
    'pooled_endpoint',
    `${urlName} (${at.host}:${at.port}) is a connection pooler (it answered "${message}", as PgBouncer does): ${fix(at, urlName)}`,
    {},
    { cause: err },
  );
}

/**
 * Recognises a transaction pooler by what it does, whatever its host, port and settings (a
 * PgBouncer with `ignore_startup_parameters = options` accepts our startup options silently).
 * On a direct connection every client has a backend of its own for its whole life. Through a
 * transaction pooler a second client that opens a transaction gets the server connection the
 * first just released (PgBouncer reuses the most recent one), and the first then lands on
 * another backend. Runs before the session's first SET and before any write, on `runner`'s
 * connection and one more from the same DataSource (its pool needs room for two).
 */
export async function assertOwnSession(dataSource: DataSource, runner: QueryRunner, urlName: string): Promise<void> {
  const pid = async (r: QueryRunner): Promise<number> => Number((await r.query('SELECT pg_backend_pid() AS pid'))[0].pid);
  const first = await pid(runner);
  const other = dataSource.createQueryRunner();
  let seen: { other: number; again: number };
  try {
    await other.connect();
    await other.startTransaction();
    seen = { other: await pid(other), again: await pid(runner) };
  } finally {
    if (other.isTransactionActive) await other.rollbackTransaction().catch(() => undefined);
    await other.release();
  }
  if (seen.other !== first && seen.again === first) return;
  const url = (dataSource.options as { url?: string }).url;
  const at = url ? endpointOf(url) : { host: String((dataSource.options as { host?: string }).host ?? 'localhost'), port: String((dataSource.options as { port?: number }).port ?? 5432) };
  const evidence =
    seen.other === first
      ? `two of its connections were served by the same backend (pid ${first})`
      : `the backend of one connection changed between two statements (pid ${first}, then ${seen.again})`;
  throw new MigratorError(
    'pooled_endpoint',
    `${urlName} (${at.host}:${at.port}) is a connection pooler: ${evidence}; nothing was written: ${fix(at, urlName)}`,
    { backends: { first, ...seen } },
  );
}

/** Network-level failures become one line naming the variable, without the password. */
export function unreachable(err: unknown, url: string, variable: string): MigratorError | undefined {
  const e = err as { code?: unknown; message?: unknown };
  const code = typeof e?.code === 'string' ? e.code : '';
  const message = String(e?.message ?? err);
  const network = ['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'ECONNRESET', '28P01', '28000', '3D000'].includes(code) ||
    /timeout expired|Connection terminated/i.test(message);
  if (!network) return undefined;
  const parsed = new URL(url);
  if (parsed.password) parsed.password = '***';
  return new MigratorError(
    'database_unreachable',
    `cannot connect to ${variable} (${parsed.toString()}): ${message}; check the host, port, credentials and database name`,
    {},
    { cause: err },
  );
}
