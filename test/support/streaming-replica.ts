import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { chmod, chown, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir, userInfo } from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { MigrationDataSource } from '../../src/db/migration-data-source';
import { testConfig } from './env';
import { findFreePort } from './ports';

/**
 * A primary and a streaming standby of it (`pg_basebackup -R`), for the read-replica tests. A
 * standby must run the primary's major version, and the embedded test server's binaries are not
 * fit for a pair, so both run Debian's PostgreSQL (/usr/lib/postgresql/N/bin, the package
 * `postgresql`; .ci/run installs it). As root both run as the `postgres` user, in a temporary
 * directory of the test's own. The primary's `cathouse` database is migrated to head.
 */
export interface StreamingPair {
  /** `cathouse` on the primary, as the superuser. */
  readonly primaryUrl: string;
  /** `cathouse` on the standby, as the superuser (read-only). */
  readonly standbyUrl: string;
  readonly version: string;
  /** Stops replaying WAL on the standby (it keeps answering, with data as of now). */
  pauseReplay(): Promise<void>;
  resumeReplay(): Promise<void>;
  /** Resolves once the standby has replayed everything the primary has written so far. */
  caughtUp(): Promise<void>;
  /** Fast shutdown of the standby, keeping its data; start() brings it back on the same port. */
  stopStandby(): Promise<void>;
  startStandby(): Promise<void>;
  destroy(): Promise<void>;
}

/** The newest Debian PostgreSQL with what a pair needs, or an error naming the package. */
export function debianPostgresBin(): { bin: string; version: string } {
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? readdirSync(root).filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a)) : [];
  for (const version of versions) {
    const bin = path.join(root, version, 'bin');
    if (['postgres', 'initdb', 'pg_basebackup'].every((b) => existsSync(path.join(bin, b)))) return { bin, version };
  }
  throw new Error(`no Debian PostgreSQL server in ${root}/N/bin: install the package postgresql (apt-get install postgresql; .ci/run does)`);
}

const SETTINGS = ['-c', 'listen_addresses=127.0.0.1', '-c', "unix_socket_directories=", '-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'max_connections=100'];

function runAs(): { uid?: number; gid?: number } {
  if (userInfo().uid !== 0) return {};
  const id = (flag: string) => Number(spawnSync('id', [flag, 'postgres'], { encoding: 'utf8' }).stdout.trim());
  return { uid: id('-u'), gid: id('-g') };
}

/** Starts `postgres` and resolves when it says it accepts connections (`ready`). */
function startServer(bin: string, dataDir: string, port: number, ids: { uid?: number; gid?: number }, ready: string): Promise<ChildProcess> {
  const proc = spawn(path.join(bin, 'postgres'), ['-D', dataDir, '-p', String(port), ...SETTINGS], { ...ids, stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`PostgreSQL (${dataDir}) did not start within 60 s: ${log}`)), 60_000);
    proc.stderr!.on('data', (d: Buffer) => {
      log = (log + d.toString()).slice(-4000);
      if (log.includes(ready)) {
        clearTimeout(timer);
        resolve(proc);
      }
    });
    proc.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`PostgreSQL (${dataDir}) exited (${code}): ${log}`));
    });
  });
}

async function stopServer(proc: ChildProcess | undefined): Promise<void> {
  if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
  const exited = new Promise((r) => proc.once('exit', r));
  proc.kill('SIGINT');
  await exited;
}

async function query<T = Record<string, unknown>>(url: string, text: string): Promise<T[]> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(text)).rows as T[];
  } finally {
    await client.end();
  }
}

export async function startStreamingPair(): Promise<StreamingPair> {
  const { bin, version } = debianPostgresBin();
  const ids = runAs();
  const root = await mkdtemp(path.join(tmpdir(), 'cathouse-replica-'));
  await chmod(root, 0o755);
  const primaryDir = path.join(root, 'primary');
  const standbyDir = path.join(root, 'standby');
  const pwfile = path.join(root, 'pw');
  await mkdir(primaryDir, { mode: 0o700 });
  await writeFile(pwfile, 'postgres\n');
  if (ids.uid !== undefined) for (const p of [root, primaryDir, pwfile]) await chown(p, ids.uid, ids.gid!);
  const init = spawnSync(
    path.join(bin, 'initdb'),
    [`--pgdata=${primaryDir}`, '--auth=scram-sha-256', '--username=postgres', `--pwfile=${pwfile}`, '--encoding=UTF8', '--no-locale', '--no-sync'],
    { ...ids, encoding: 'utf8' },
  );
  if (init.status !== 0) throw new Error(`initdb failed: ${init.stderr}`);

  const [primaryPort, standbyPort] = [await findFreePort(), await findFreePort()];
  let primary: ChildProcess | undefined;
  let standby: ChildProcess | undefined;
  const url = (port: number, db: string) => `postgres://postgres:postgres@127.0.0.1:${port}/${db}`;
  try {
    primary = await startServer(bin, primaryDir, primaryPort, ids, 'database system is ready to accept connections');
    await query(url(primaryPort, 'postgres'), 'CREATE DATABASE cathouse');
    const migrations = new MigrationDataSource(testConfig(), url(primaryPort, 'cathouse'));
    await migrations.initialize();
    try {
      await migrations.runMigrations({ transaction: 'each' });
    } finally {
      await migrations.destroy();
    }
    // The standby: a base backup of the primary that knows how to follow it (-R writes
    // standby.signal and primary_conninfo), streaming the WAL written meanwhile (-X stream).
    const backup = spawnSync(
      path.join(bin, 'pg_basebackup'),
      ['-h', '127.0.0.1', '-p', String(primaryPort), '-U', 'postgres', '-D', standbyDir, '-R', '-X', 'stream', '--checkpoint=fast', '--no-sync'],
      { ...ids, encoding: 'utf8', env: { ...process.env, PGPASSWORD: 'postgres' } },
    );
    if (backup.status !== 0) throw new Error(`pg_basebackup failed: ${backup.stderr}`);
    const bootStandby = async () => {
      standby = await startServer(bin, standbyDir, standbyPort, ids, 'database system is ready to accept read-only connections');
    };
    await bootStandby();

    const primaryUrl = url(primaryPort, 'cathouse');
    const standbyUrl = url(standbyPort, 'cathouse');
    const caughtUp = async () => {
      const [{ lsn }] = await query<{ lsn: string }>(primaryUrl, 'SELECT pg_current_wal_lsn()::text AS lsn');
      for (let i = 0; i < 600; i++) {
        const [{ behind }] = await query<{ behind: boolean }>(standbyUrl, `SELECT pg_last_wal_replay_lsn() < '${lsn}'::pg_lsn AS behind`);
        if (!behind) return;
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error(`the standby did not replay up to ${lsn} within 30 s`);
    };
    await caughtUp();
    return {
      primaryUrl,
      standbyUrl,
      version,
      pauseReplay: async () => void (await query(standbyUrl, 'SELECT pg_wal_replay_pause()')),
      resumeReplay: async () => void (await query(standbyUrl, 'SELECT pg_wal_replay_resume()')),
      caughtUp,
      stopStandby: () => stopServer(standby),
      startStandby: bootStandby,
      destroy: async () => {
        await stopServer(standby);
        await stopServer(primary);
        await rm(root, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await stopServer(standby);
    await stopServer(primary);
    await rm(root, { recursive: true, force: true });
    throw err;
  }
}
