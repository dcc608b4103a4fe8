import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { createTestDatabase, type TestDatabase } from './support/database';
import { generateSigningKeyPem } from '../src/auth/tokens/signing-keys';
import { pollUntil } from './support/poll';
import { findFreePort } from './support/ports';
import { signalGroup, spawnInRepo, type Spawned } from './support/processes';

const LISTENING = /listening on (http:\/\/\S+)/;

async function get(url: string): Promise<{ status: number; body: unknown }> {
  const res = await fetch(url);
  return { status: res.status, body: await res.json() };
}

describe('npm start', () => {
  const running: Spawned[] = [];
  afterAll(() => running.forEach((p) => signalGroup(p, 'SIGKILL')));

  it('with no configuration starts the embedded PostgreSQL, migrates it, serves health and ready, and stops cleanly on Ctrl-C', async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'cathouse-start-'));
    const [port, pgPort] = await Promise.all([findFreePort(), findFreePort()]);
    const env = { DATA_DIR: dataDir, PORT: String(port), EMBEDDED_PG_PORT: String(pgPort), HOST: '127.0.0.1' };
    try {
      for (const run of ['first start', 'second start']) {
        const started = Date.now();
        const app = spawnInRepo('npm', ['start', '--silent'], env);
        running.push(app);
        const line = await app.waitForOutput(LISTENING, 60_000);
        const url = LISTENING.exec(line)![1];
        expect(await get(`${url}/api/v1/auth/health`)).toEqual({ status: 200, body: { status: 'ok' } });
        const ready = await get(`${url}/api/v1/auth/ready`);
        expect(ready.status).toBe(200);
        process.stdout.write(`npm start, ${run}: health and ready 200 after ${Date.now() - started} ms\n`);
        expect(app.output()).toContain(`database postgres://cathouse_auth:***@127.0.0.1:${pgPort}/cathouse`);

        // Ctrl-C: the terminal signals the whole group (npm, node and PostgreSQL).
        signalGroup(app, 'SIGINT');
        // npm may exit before the service has written its last line to the shared pipe: poll the output.
        await pollUntil('the "stopped" log line', () => /"msg":"stopped"/.test(app.output()), { timeoutMs: 15_000 });
        // The database stopped with the service: nothing listens on its port any more.
        const probe = new Client({ host: '127.0.0.1', port: pgPort, user: 'postgres', password: 'postgres', connectionTimeoutMillis: 1000 });
        probe.on('error', () => undefined);
        await expect(probe.connect()).rejects.toThrow();
      }
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  describe('with DATABASE_URL', () => {
    let db: TestDatabase;
    beforeAll(async () => {
      db = await createTestDatabase();
    });
    afterAll(() => db.drop());

    it('finishes in-flight requests on SIGTERM, then closes the pool and exits 0', async () => {
      const port = await findFreePort();
      const app = spawnInRepo('node', ['-r', '@swc-node/register', 'src/main.ts'], {
        DATABASE_URL: db.url,
        PORT: String(port),
        HOST: '127.0.0.1',
        NODE_ENV: 'development',
        JWT_PRIVATE_KEY: generateSigningKeyPem().replace(/\n/g, '\\n'),
        TOKEN_SECRET: 'start-test-secret-start-test-secret-0123',
        // Required with DATABASE_URL (issue 22 M2); nothing listens there, and this test sends no mail.
        SMTP_URL: 'smtp://127.0.0.1:9',
      });
      running.push(app);
      await app.waitForOutput(LISTENING, 30_000);
      expect(app.output()).not.toContain('embedded PostgreSQL');

      // Hold the migrations table so that /ready is still in flight when SIGTERM arrives.
      const blocker = new Client({ connectionString: db.url });
      await blocker.connect();
      await blocker.query('BEGIN');
      await blocker.query('LOCK TABLE migrator.migrations IN ACCESS EXCLUSIVE MODE');
      const inFlight = fetch(`http://127.0.0.1:${port}/api/v1/auth/ready`);
      await pollUntil('/ready to wait on the migrations table lock', async () => {
        const { rows } = await blocker.query(
          `SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'cathouse-auth' AND wait_event_type = 'Lock'`,
        );
        return rows.length > 0;
      });
      app.child.kill('SIGTERM');
      await app.waitForOutput(/shutting down/, 5_000);
      await blocker.query('COMMIT');
      await blocker.end();

      const res = await inFlight;
      expect(res.status).toBe(200);
      expect(await app.exited).toBe(0);
      const sessions = new Client({ connectionString: db.url });
      await sessions.connect();
      const { rows } = await sessions.query(
        `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'cathouse-auth'`,
      );
      await sessions.end();
      expect(rows[0].n).toBe(0);
    });
  });

  it('with DATABASE_URL but no signing key or token secret, stops with one line instead of generating its own (NODE_ENV unset)', async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'cathouse-start-'));
    try {
      const base = { DATABASE_URL: 'postgres://u:p@127.0.0.1:1/cathouse', DATA_DIR: dataDir };
      const noKey = spawnInRepo('node', ['-r', '@swc-node/register', 'src/main.ts'], base);
      expect(await noKey.exited).toBe(2);
      expect(noKey.output().trim().split('\n')).toEqual([expect.stringMatching(/^configuration error: JWT_PRIVATE_KEY: required when DATABASE_URL is set/)]);
      const noSecret = spawnInRepo('node', ['-r', '@swc-node/register', 'src/main.ts'], { ...base, JWT_PRIVATE_KEY: generateSigningKeyPem().replace(/\n/g, '\\n') });
      expect(await noSecret.exited).toBe(2);
      expect(noSecret.output().trim().split('\n')).toEqual([expect.stringMatching(/^configuration error: TOKEN_SECRET: required when DATABASE_URL is set/)]);
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it('stops with one line naming the variable when DATABASE_URL is malformed', async () => {
    const app = spawnInRepo('node', ['-r', '@swc-node/register', 'src/main.ts'], { DATABASE_URL: 'not-a-url' });
    expect(await app.exited).toBe(2);
    const lines = app.output().trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^configuration error: DATABASE_URL: expected a URL like postgres:\/\//);
    expect(app.output()).not.toMatch(/\n\s+at /);
  });
});
