import { copyFile, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { Client } from 'pg';
import { createSigningKey, productionEnv, startServiceProcess, type SigningKey } from './reliability/support/service-process';
import { createTestDatabase, type TestDatabase } from './support/database';
import { pollUntil } from './support/poll';
import { findFreePort } from './support/ports';
import { ROOT, spawnInRepo } from './support/processes';

/** A keep-alive HTTP/1.1 connection driven by hand, so the test sees exactly what the server does to it. */
class RawConnection {
  readonly socket: Socket;
  private buffer = '';
  error: Error | undefined;
  closed = false;
  constructor(port: number) {
    this.socket = connect(port, '127.0.0.1');
    this.socket.on('data', (d) => (this.buffer += d.toString()));
    this.socket.on('error', (err) => (this.error = err));
    this.socket.on('close', () => (this.closed = true));
  }
  /** Sends one GET and resolves with the status line and headers of its response. */
  async get(route: string): Promise<{ status: number; headers: string }> {
    this.buffer = '';
    this.socket.write(`GET /api/v1/auth${route} HTTP/1.1\r\nHost: localhost\r\n\r\n`);
    const head = await pollUntil(`a response to ${route}`, () => {
      const end = this.buffer.indexOf('\r\n\r\n');
      return end >= 0 ? this.buffer.slice(0, end) : undefined;
    });
    return { status: Number(head.split(' ')[1]), headers: head.toLowerCase() };
  }
}

/** Issue 21: a drain that loses nothing, and `npm start` that passes signals on. */
describe('shutdown', () => {
  let db: TestDatabase;
  let key: SigningKey;
  beforeAll(async () => {
    [db, key] = await Promise.all([createTestDatabase(), createSigningKey()]);
  });
  afterAll(async () => {
    await db.drop();
    await key.remove();
  });

  it('SIGTERM: /ready 503 at once, Connection: close during the drain delay, idle sockets closed (no reset), in-flight requests finish, exit 0', async () => {
    const delayMs = 1_000;
    const service = await startServiceProcess({ env: productionEnv({ databaseUrl: db.url, key, extra: { LOG_LEVEL: 'info', DRAIN_DELAY_MS: String(delayMs) } }) });
    const idle = [new RawConnection(service.port), new RawConnection(service.port), new RawConnection(service.port)];
    const busy = new RawConnection(service.port);
    for (const c of [...idle, busy]) expect((await c.get('/health')).status).toBe(200);
    // Idle keep-alive sockets live HTTP_KEEP_ALIVE_TIMEOUT_MS (65 s by default), above a balancer's 60 s.
    expect((await busy.get('/health')).headers).toContain('keep-alive: timeout=65');

    // An in-flight request: /ready waits on a lock of the migrations table until the drain delay is over.
    const blocker = new Client({ connectionString: db.url });
    await blocker.connect();
    await blocker.query('BEGIN');
    await blocker.query('LOCK TABLE migrator.migrations IN ACCESS EXCLUSIVE MODE');
    const inFlight = fetch(`${service.url}/api/v1/auth/ready`);
    await pollUntil('/ready to wait on the lock', async () => {
      const { rows } = await blocker.query(`SELECT 1 FROM pg_stat_activity WHERE application_name = 'cathouse-auth' AND wait_event_type = 'Lock'`);
      return rows.length > 0;
    });

    const signalled = Date.now();
    service.child.kill('SIGTERM');
    await pollUntil('the shutting-down line', () => service.output().includes('shutting down'));
    // Unready at once, on a new connection, without asking the database.
    const ready = await new RawConnection(service.port).get('/ready');
    expect(ready.status).toBe(503);
    // Still serving during the delay, and telling keep-alive clients to go elsewhere.
    const during = await busy.get('/health');
    expect(during.status).toBe(200);
    expect(during.headers).toContain('connection: close');
    await pollUntil('the busy connection to close', () => busy.closed);
    expect(Date.now() - signalled).toBeLessThan(delayMs);
    // Idle sockets stay open through the delay (a balancer may still send on them)...
    expect(idle.some((c) => c.closed)).toBe(false);

    await new Promise((resolve) => setTimeout(resolve, delayMs + 200));
    // ...and are closed after it with a FIN, not a reset.
    await pollUntil('the idle connections to close', () => idle.every((c) => c.closed));
    expect(idle.map((c) => c.error?.message)).toEqual([undefined, undefined, undefined]);
    // The in-flight request still finishes.
    await blocker.query('COMMIT');
    await blocker.end();
    expect((await inFlight).status).toBe(200);
    // Waits for the exit rather than signalling again: a second SIGTERM means "stop now" (exit 1).
    const code = service.child.exitCode ?? (await new Promise<number | null>((resolve) => service.child.once('exit', resolve)));
    expect({ code, output: code === 0 ? '' : service.output() }).toEqual({ code: 0, output: '' });
    const stopped = service.output().split('\n').find((l) => l.includes('"msg":"stopped"'));
    expect(JSON.parse(stopped!)).toMatchObject({ clean: true, abandoned_requests: 0 });
    process.stdout.write(`drain: exit 0 after ${Date.now() - signalled} ms (delay ${delayMs} ms), ${JSON.parse(stopped!).drain_ms} ms in the drain\n`);
  });

  it('npm start: SIGTERM to npm reaches the service, which drains and frees the port', async () => {
    const port = await findFreePort();
    const app = spawnInRepo('npm', ['start', '--silent'], {
      ...(productionEnv({ databaseUrl: db.url, key }) as Record<string, string>),
      NODE_ENV: 'development',
      PORT: String(port),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'info',
    });
    await app.waitForOutput(/listening on/, 30_000);
    // Only npm itself is signalled, as `kill <pid>` or a supervisor that knows only npm's pid does.
    app.child.kill('SIGTERM');
    await app.exited;
    await pollUntil('the port to be free', () =>
      new Promise<boolean>((resolve) => {
        const probe = connect(port, '127.0.0.1');
        probe.on('connect', () => (probe.destroy(), resolve(false)));
        probe.on('error', () => resolve(true));
      }),
    { timeoutMs: 10_000 });
    expect(app.output()).toContain('"msg":"stopped"');
  });

  it('npm start honours NODE_ENV=production written only in .env: it runs the build, not the sources', async () => {
    // A copy of the start script in a scratch tree whose build and sources only say which one ran.
    const dir = await mkdtemp(path.join(tmpdir(), 'cathouse-start-env-'));
    try {
      await mkdir(path.join(dir, 'scripts'));
      await mkdir(path.join(dir, 'dist/src'), { recursive: true });
      await mkdir(path.join(dir, 'src/cli'), { recursive: true });
      await copyFile(path.join(ROOT, 'scripts/start.js'), path.join(dir, 'scripts/start.js'));
      await symlink(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'));
      await writeFile(path.join(dir, 'dist/src/main.js'), `console.log('ran the build')`);
      await writeFile(path.join(dir, 'src/cli/register-ts.js'), '');
      await writeFile(path.join(dir, 'src/main.ts'), `console.log('ran the sources')`);
      await writeFile(path.join(dir, '.env'), 'NODE_ENV=production\n');
      const env = { PATH: process.env.PATH, HOME: process.env.HOME };
      const out = await new Promise<string>((resolve) => {
        let text = '';
        const child = spawn(process.execPath, ['scripts/start.js'], { cwd: dir, env });
        child.stdout.on('data', (d) => (text += d));
        child.on('close', () => resolve(text));
      });
      expect(out.trim()).toBe('ran the build');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
