import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmod, chown, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir, userInfo } from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { findFreePort } from './ports';

export interface PgBouncer {
  /** `url` with host and port replaced by PgBouncer's. */
  readonly url: string;
  readonly port: number;
  /** Immediate shutdown (SIGTERM): every client and server connection is cut; `start()` brings it back. */
  halt(): Promise<void>;
  /** Starts it again, on the same port with the same configuration. */
  start(): Promise<void>;
  /** Shuts it down for good and removes its files. */
  stop(): Promise<void>;
}

const INSTALL_HINT =
  'PgBouncer is not installed: the pooled-path tests need a real one (Debian/Ubuntu: `sudo apt-get install -y pgbouncer`; macOS: `brew install pgbouncer`)';

function pgbouncerBinary(): string {
  for (const candidate of ['/usr/sbin/pgbouncer', '/usr/bin/pgbouncer', '/opt/homebrew/bin/pgbouncer', '/usr/local/bin/pgbouncer']) {
    if (spawnSync(candidate, ['--version']).status === 0) return candidate;
  }
  const fromPath = spawnSync('pgbouncer', ['--version']);
  if (fromPath.status === 0) return 'pgbouncer';
  // No skip: a missing PgBouncer fails the suite, in CI and locally, with the way to install it.
  throw new Error(process.env.CI ? `${INSTALL_HINT} (CI must install it: see .ci/run)` : INSTALL_HINT);
}

async function waitForPort(url: string, child: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`pgbouncer exited (${child.exitCode}): ${output()}`);
    const client = new Client({ connectionString: url, connectionTimeoutMillis: 1000 });
    client.on('error', () => undefined);
    try {
      await client.connect();
      await client.query('SELECT 1');
      await client.end();
      return;
    } catch (err) {
      await client.end().catch(() => undefined);
      if (Date.now() > deadline) throw new Error(`pgbouncer did not answer: ${(err as Error).message}; ${output()}`, { cause: err });
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

/**
 * Starts a real PgBouncer in transaction mode in front of the server of `targetUrl`, on a free
 * loopback port. As root it runs as the `postgres` user, since PgBouncer refuses root.
 */
export async function startPgBouncer(
  targetUrl: string,
  { poolSize = 5, ignoreStartupParameters }: { poolSize?: number; ignoreStartupParameters?: string } = {},
): Promise<PgBouncer> {
  const binary = pgbouncerBinary();
  const target = new URL(targetUrl);
  const user = decodeURIComponent(target.username);
  const password = decodeURIComponent(target.password);
  const port = await findFreePort();
  const dir = await mkdtemp(path.join(tmpdir(), 'cathouse-pgbouncer-'));
  const quote = (s: string) => `"${s.replace(/"/g, '""')}"`;
  await writeFile(path.join(dir, 'userlist.txt'), `${quote(user)} ${quote(password)}\n`);
  await writeFile(
    path.join(dir, 'pgbouncer.ini'),
    [
      '[databases]',
      `* = host=${target.hostname} port=${target.port || 5432}`,
      '[pgbouncer]',
      'listen_addr = 127.0.0.1',
      `listen_port = ${port}`,
      'unix_socket_dir =',
      'pool_mode = transaction',
      'auth_type = scram-sha-256',
      `auth_file = ${path.join(dir, 'userlist.txt')}`,
      `default_pool_size = ${poolSize}`,
      // e.g. `extra_float_digits,options`, a common setting: PgBouncer then accepts and drops them.
      ...(ignoreStartupParameters ? [`ignore_startup_parameters = ${ignoreStartupParameters}`] : []),
      'max_client_conn = 500',
      'server_login_retry = 1',
      'query_wait_timeout = 10',
      `pidfile = ${path.join(dir, 'pgbouncer.pid')}`,
      '',
    ].join('\n'),
  );
  const asRoot = userInfo().uid === 0;
  let ids: { uid?: number; gid?: number } = {};
  if (asRoot) {
    const uid = Number(spawnSync('id', ['-u', 'postgres']).stdout.toString());
    const gid = Number(spawnSync('id', ['-g', 'postgres']).stdout.toString());
    ids = { uid, gid };
    await chmod(dir, 0o755);
    for (const f of ['', 'userlist.txt', 'pgbouncer.ini']) await chown(path.join(dir, f), uid, gid);
  }
  const url = new URL(targetUrl);
  url.hostname = '127.0.0.1';
  url.port = String(port);

  let child: ChildProcess | undefined;
  let output = '';
  const start = async () => {
    if (child) return;
    const proc = spawn(binary, [path.join(dir, 'pgbouncer.ini')], { ...ids, stdio: ['ignore', 'pipe', 'pipe'] });
    child = proc;
    proc.stdout?.on('data', (d) => (output = (output + d).slice(-4000)));
    proc.stderr?.on('data', (d) => (output = (output + d).slice(-4000)));
    try {
      await waitForPort(url.toString(), proc, () => output);
    } catch (err) {
      proc.kill('SIGKILL');
      child = undefined;
      throw err;
    }
  };
  const halt = async () => {
    const proc = child;
    child = undefined;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise((r) => proc.once('exit', r));
    proc.kill('SIGTERM');
    await exited;
  };
  await start();
  return {
    url: url.toString(),
    port,
    halt,
    start,
    stop: async () => {
      await halt();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
