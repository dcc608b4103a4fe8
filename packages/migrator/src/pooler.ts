import { parse as parseConnectionString } from 'pg-connection-string';
import type { DataSource, QueryRunner } from 'typeorm';
import { MigratorError } from './errors';
import { quietSslMode } from './ssl-mode';

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
  const c = parseConnectionString(quietSslMode(url));
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
    // pg-connection-string reads what pg will use, including Unix sockets (postgres://u:p@/db?host=/run/postgresql).
    if (!/^postgres(ql)?:\/\//.test(url)) throw new Error('not a postgres URL');
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

/** Certificate and TLS failures of Node's tls module, by code. */
const TLS_CODES = /^(ERR_TLS_|ERR_SSL_|SELF_SIGNED_CERT_IN_CHAIN|DEPTH_ZERO_SELF_SIGNED_CERT|UNABLE_TO_|CERT_|EPROTO)/;

/** What to check for one cause of a failed connection. */
function hintFor(err: unknown, url: string): string {
  const e = err as { code?: unknown; message?: unknown };
  const code = typeof e?.code === 'string' ? e.code : '';
  const message = String(e?.message ?? err);
  if (/client password must be a string|password authentication failed|no password supplied/i.test(message) || code === '28P01') {
    return /must be a string|no password supplied/i.test(message)
      ? 'the server asks for a password and the URL gives none: write it in the URL (postgres://user:PASSWORD@host:5432/database)'
      : 'check the user name and password in the URL';
  }
  if (TLS_CODES.test(code) || /ssl|tls|certificate/i.test(message)) {
    const mode = new URLSearchParams(url.split('?')[1] ?? '').get('sslmode');
    const meaning =
      mode && ['require', 'prefer', 'verify-ca'].includes(mode)
        ? `; node-postgres checks sslmode=${mode} like verify-full (certificate and host name): give the CA with sslrootcert=FILE, or add uselibpqcompat=true for libpq's meaning (encrypted, not verified)`
        : '';
    return `TLS failed: check the server's TLS setup and the URL's sslmode${meaning}`;
  }
  if (code === '3D000') return 'the database does not exist: check its name in the URL';
  if (code === '28000') return 'the server refuses this user or address (pg_hba.conf): check the user name, or ask for access';
  return 'check the host, port, credentials and database name';
}

/**
 * Whether an error is the database connection failing (not, say, TypeORM refusing an entity):
 * a server error (it has a severity), a system or TLS error code, or pg's own connect messages.
 */
export function isConnectFailure(err: unknown): boolean {
  const e = err as { code?: unknown; severity?: unknown; message?: unknown };
  if (typeof e?.severity === 'string' || (typeof e?.code === 'string' && /^([A-Z0-9]{5}|E[A-Z]+|ERR_TLS_|ERR_SSL_|[A-Z_]*CERT)/.test(e.code))) return true;
  return /SASL|client password|ssl|tls|certificate|Connection terminated|timeout expired|connect ECONN/i.test(String(e?.message ?? ''));
}

/**
 * Any failure to connect becomes one line naming the URL's setting (without the password), the
 * cause and what to check: unreachable hosts, wrong or missing passwords, TLS, unknown databases.
 * A connection that could not be made is "could not run" (exit 2), never a stack trace.
 */
export function unreachable(err: unknown, url: string, variable: string): MigratorError {
  const message = String((err as { message?: unknown })?.message ?? err).split('\n')[0]!;
  return new MigratorError('database_unreachable', `cannot connect to ${variable} (${redact(url)}): ${message}; ${hintFor(err, url)}`, { serverAnswered: serverAnswered(err) }, { cause: err });
}

/**
 * Whether the server was there and refused (a server error, a password it asked for, TLS it
 * turned down): a setting to fix, never a reason to go on from the files alone as when nothing
 * answers (no route, refused, timed out).
 */
function serverAnswered(err: unknown): boolean {
  const e = err as { code?: unknown; severity?: unknown; message?: unknown };
  if (typeof e?.severity === 'string') return true;
  const code = typeof e?.code === 'string' ? e.code : '';
  return TLS_CODES.test(code) || /SASL|client password|no password supplied|ssl|tls|certificate/i.test(String(e?.message ?? ''));
}

/** The URL without its password, for messages. */
export function redact(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return url.replace(/(\/\/[^:/@]*:)[^@]*@/, '$1***@');
  }
}
