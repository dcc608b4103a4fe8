import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { chmod, chown, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { serverBinaries } from '../../../src/db/embedded-postgres';
import { MigrationDataSource } from '../../../src/db/migration-data-source';
import { testConfig } from '../../support/env';
import { findFreePort } from '../../support/ports';

export interface OwnPostgres {
  /** URL of the `cathouse` database, migrated to head. */
  readonly url: string;
  readonly adminUrl: string;
  readonly port: number;
  /** Fast shutdown (SIGINT: sessions are terminated), keeping the data directory. */
  stop(): Promise<void>;
  /** Starts the stopped server again on the same port and data. */
  start(): Promise<void>;
  /** SIGSTOP / SIGCONT the postmaster and its backends: a server that accepts nothing and answers nothing. */
  freeze(): void;
  thaw(): void;
  /** Stops the server and deletes its data directory. */
  destroy(): Promise<void>;
}

const SETTINGS: Record<string, string> = {
  listen_addresses: '127.0.0.1',
  unix_socket_directories: '',
  fsync: 'off',
  synchronous_commit: 'off',
  full_page_writes: 'off',
  max_connections: '200',
};

/**
 * A PostgreSQL server of the test's own, separate from the suite's shared one, because the fault
 * tests stop, freeze and restart it. It runs the embedded-postgres package's binaries directly
 * (that package is an ES module jest cannot load in a test) and its `cathouse` database is
 * migrated to head.
 */
export async function startOwnPostgres(): Promise<OwnPostgres> {
  // The packaged binaries, or as root a copy the postgres user can run (the clone may sit in a private directory).
  const { initdb, postgres, ...ids } = await serverBinaries();
  const root = await mkdtemp(path.join(tmpdir(), 'cathouse-own-pg-'));
  await chmod(root, 0o755);
  const dataDir = path.join(root, 'data');
  await mkdir(dataDir, { mode: 0o700 });
  await writeFile(path.join(root, 'pw'), 'postgres\n');
  if (ids.uid !== undefined) {
    for (const p of [root, dataDir, path.join(root, 'pw')]) await chown(p, ids.uid, ids.gid!);
  }
  const init = spawnSync(
    initdb,
    [`--pgdata=${dataDir}`, '--auth=scram-sha-256', '--username=postgres', `--pwfile=${path.join(root, 'pw')}`, '--encoding=UTF8', '--no-locale'],
    { ...ids, encoding: 'utf8' },
  );
  if (init.status !== 0) throw new Error(`initdb failed: ${init.stderr}`);

  const port = await findFreePort();
  let child: ChildProcess | undefined;
  let log = '';
  const boot = async () => {
    const args = ['-D', dataDir, '-p', String(port), ...Object.entries(SETTINGS).flatMap(([k, v]) => ['-c', `${k}=${v}`])];
    const proc = spawn(postgres, args, { ...ids, stdio: ['ignore', 'ignore', 'pipe'] });
    child = proc;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`PostgreSQL did not start within 30 s: ${log}`)), 30_000);
      proc.stderr!.on('data', (d: Buffer) => {
        log = (log + d.toString()).slice(-4000);
        if (log.includes('database system is ready to accept connections')) {
          clearTimeout(timer);
          resolve();
        }
      });
      proc.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`PostgreSQL exited (${code}): ${log}`));
      });
    });
    log = '';
  };
  const halt = async () => {
    const proc = child;
    child = undefined;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise((r) => proc.once('exit', r));
    proc.kill('SIGCONT');
    proc.kill('SIGINT');
    await exited;
  };
  await boot();

  const adminUrl = `postgres://postgres:postgres@127.0.0.1:${port}/postgres`;
  const url = `postgres://postgres:postgres@127.0.0.1:${port}/cathouse`;
  const admin = new Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query('CREATE DATABASE cathouse');
  await admin.end();
  const migrations = new MigrationDataSource(testConfig(), url);
  await migrations.initialize();
  try {
    await migrations.runMigrations({ transaction: 'each' });
  } finally {
    await migrations.destroy();
  }

  /** The postmaster's and its backends' PIDs. */
  const pids = (): number[] => {
    const postmaster = child?.pid;
    if (!postmaster) return [];
    const children = readFileSync(`/proc/${postmaster}/task/${postmaster}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
    return [postmaster, ...children];
  };
  const signalAll = (signal: NodeJS.Signals) => {
    for (const pid of pids()) {
      try {
        process.kill(pid, signal);
      } catch {
        // a backend that exited meanwhile
      }
    }
  };

  return {
    url,
    adminUrl,
    port,
    stop: halt,
    start: async () => {
      if (!child) await boot();
    },
    freeze: () => signalAll('SIGSTOP'),
    thaw: () => signalAll('SIGCONT'),
    destroy: async () => {
      signalAll('SIGCONT');
      await halt();
      await rm(root, { recursive: true, force: true });
    },
  };
}

/** True when a fresh connection to `url` runs a query within a second. */
export async function databaseAnswers(url: string): Promise<boolean> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 1000, query_timeout: 1000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}
