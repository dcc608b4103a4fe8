import { MigratorError } from './errors';

/**
 * Migrations need one real server session (advisory lock, SET, DDL across statements), which a
 * transaction pooler cannot give: each transaction may land on another server connection.
 */
const POOLED_PORT = '6432';

function fix(url: URL, urlName: string): string {
  return `set ${urlName} to the direct endpoint (for Neon: the host without "-pooler"; for PgBouncer: the server's own host and port, usually 5432), not ${url.hostname}:${url.port || 5432}`;
}

/**
 * Refuses, before any connection, a URL that names a pooler by host or port. `urlName` is what
 * the user calls the URL (e.g. the environment variable), so the message names it.
 */
export function assertDirectEndpoint(url: string, urlName: string): void {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new MigratorError('invalid_config', `${urlName} is not a URL: expected postgres://user:password@host:5432/database`);
  }
  if (parsed.hostname.includes('-pooler')) {
    throw new MigratorError('pooled_endpoint', `${urlName} points at a pooler (host ${parsed.hostname} contains "-pooler"): ${fix(parsed, urlName)}`);
  }
  if (parsed.port === POOLED_PORT) {
    throw new MigratorError('pooled_endpoint', `${urlName} points at port 6432, PgBouncer's port: ${fix(parsed, urlName)}`);
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
  const parsed = new URL(url);
  return new MigratorError(
    'pooled_endpoint',
    `${urlName} (${parsed.hostname}:${parsed.port || 5432}) is a connection pooler (it answered "${message}", as PgBouncer does): ${fix(parsed, urlName)}`,
    {},
    { cause: err },
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
