import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmod, chown, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir, userInfo } from 'node:os';
import path from 'node:path';
import { findFreePort } from '../../support/ports';
import { databaseAnswers } from './own-postgres';

export interface OwnPgBouncer {
  /** The target URL with host and port replaced by PgBouncer's. */
  readonly url: string;
  readonly port: number;
  /** SIGTERM: PgBouncer's immediate shutdown, every client and server connection cut. */
  stop(): Promise<void>;
  /** Starts it again on the same port. */
  start(): Promise<void>;
  destroy(): Promise<void>;
}

/**
 * A real PgBouncer in transaction mode that can be stopped and started again on the same port,
 * which test/support/pgbouncer.ts (a free port per start) cannot do. As root it runs as `postgres`.
 */
export async function startOwnPgBouncer(targetUrl: string, { poolSize = 10 } = {}): Promise<OwnPgBouncer> {
  const binary = ['/usr/sbin/pgbouncer', '/usr/bin/pgbouncer', '/usr/local/bin/pgbouncer', '/opt/homebrew/bin/pgbouncer'].find(
    (b) => spawnSync(b, ['--version']).status === 0,
  );
  if (!binary) throw new Error('PgBouncer is not installed (Debian/Ubuntu: `sudo apt-get install -y pgbouncer`)');
  const target = new URL(targetUrl);
  const port = await findFreePort();
  const dir = await mkdtemp(path.join(tmpdir(), 'cathouse-own-pgbouncer-'));
  const quote = (s: string) => `"${s.replace(/"/g, '""')}"`;
  await writeFile(path.join(dir, 'userlist.txt'), `${quote(decodeURIComponent(target.username))} ${quote(decodeURIComponent(target.password))}\n`);
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
      'max_client_conn = 500',
      'server_login_retry = 1',
      'query_wait_timeout = 10',
      `pidfile = ${path.join(dir, 'pgbouncer.pid')}`,
      '',
    ].join('\n'),
  );
  let ids: { uid?: number; gid?: number } = {};
  if (userInfo().uid === 0) {
    ids = {
      uid: Number(spawnSync('id', ['-u', 'postgres']).stdout.toString()),
      gid: Number(spawnSync('id', ['-g', 'postgres']).stdout.toString()),
    };
    await chmod(dir, 0o755);
    for (const f of ['', 'userlist.txt', 'pgbouncer.ini']) await chown(path.join(dir, f), ids.uid!, ids.gid!);
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
    proc.stdout!.on('data', (d) => (output = (output + d).slice(-4000)));
    proc.stderr!.on('data', (d) => (output = (output + d).slice(-4000)));
    const deadline = Date.now() + 10_000;
    // The port may still be in TIME_WAIT from the previous run for a moment; PgBouncer sets SO_REUSEADDR.
    while (!(await databaseAnswers(url.toString()))) {
      if (proc.exitCode !== null) throw new Error(`pgbouncer exited (${proc.exitCode}): ${output}`);
      if (Date.now() > deadline) throw new Error(`pgbouncer did not answer within 10 s: ${output}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  const stop = async () => {
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
    stop,
    start,
    destroy: async () => {
      await stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
