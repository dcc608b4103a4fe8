import { spawn } from 'node:child_process';
import { Writable } from 'node:stream';
import request from 'supertest';
import { createLogger, LOG_BASE } from '../../src/logging/logger';
import { generateSigningKeyPem } from '../../src/auth/tokens/signing-keys';
import { startTestApp, type TestApp } from '../support/app';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { asServiceRole } from '../support/env';
import { startPgBouncer, type PgBouncer } from '../support/pgbouncer';
import { pollUntil } from '../support/poll';
import { findFreePort } from '../support/ports';
import { ROOT } from '../support/processes';

/** Issue 21: what an on-call engineer reads. The fields are listed in docs/operations.md, "Logs". */
describe('request log lines', () => {
  let db: TestDatabase;
  let bouncer: PgBouncer;
  let t: TestApp;
  let lines: Record<string, unknown>[];
  const level = (n: number) => ({ 20: 'debug', 30: 'info', 40: 'warn', 50: 'error' })[n];

  beforeAll(async () => {
    db = await createTestDatabase();
    bouncer = await startPgBouncer(asServiceRole(db.url, 'auth'), { poolSize: 2 });
    lines = [];
    const stream = new Writable({ write: (chunk, _enc, done) => (lines.push(JSON.parse(chunk.toString())), done()) });
    t = await startTestApp(bouncer.url, { LOG_LEVEL: 'debug' }, { logger: createLogger('debug', stream) });
  });
  afterAll(async () => {
    await t?.close();
    await bouncer?.stop();
    await db?.drop();
  });
  const completion = (path: string) => lines.filter((l) => l.msg === 'request completed' && (l.req as { path: string }).path === path);

  it('completion lines name the instance, version, client address, route pattern and error code', async () => {
    await request(t.app).get('/api/v1/auth/users/00000000-0000-0000-0000-000000000000').expect(401);
    const [line] = completion('/api/v1/auth/users/00000000-0000-0000-0000-000000000000');
    expect(line).toMatchObject({
      instance: LOG_BASE.instance,
      version: expect.stringMatching(/^\d+\.\d+\.\d+/),
      req: { method: 'GET', route: '/api/v1/auth/users/:id', client: expect.stringMatching(/127\.0\.0\.1|::1/) },
      res: { status: 401 },
      error_code: 'invalid_token',
    });
    expect(level(line!.level as number)).toBe('info');
  });

  it('health and readiness probes are logged at debug', async () => {
    await request(t.app).get('/api/v1/auth/health').expect(200);
    await request(t.app).get('/api/v1/auth/ready').expect(200);
    expect(completion('/api/v1/auth/health').map((l) => level(l.level as number))).toEqual(['debug']);
    expect(completion('/api/v1/auth/ready').map((l) => level(l.level as number))).toEqual(['debug']);
  });

  it('a request failed by a database outage writes one line, at warn, without a stack', async () => {
    await bouncer.halt();
    try {
      const before = lines.length;
      await request(t.app).post('/api/v1/auth/login').send({ email: 'nobody@cathouse.example', password: 'whatever whatever' }).expect(503);
      await pollUntil('the completion line', () => completion('/api/v1/auth/login').length > 0);
      const written = lines.slice(before);
      expect(written).toHaveLength(1);
      expect(written[0]).toMatchObject({ msg: 'request completed', error_code: 'database_unavailable', res: { status: 503 } });
      expect(level(written[0]!.level as number)).toBe('warn');
      expect(written[0]!.database_error).toEqual(expect.any(String));
      expect(JSON.stringify(written[0])).not.toContain('    at ');
    } finally {
      await bouncer.start();
    }
  });
});

describe('npm start in a terminal', () => {
  it('writes readable lines, not JSON, when stdout is a TTY outside production', async () => {
    const db = await createTestDatabase();
    const port = await findFreePort();
    // `script` gives the service a pseudo-terminal, as a developer's shell does.
    const env = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      NODE_ENV: 'development',
      HOST: '127.0.0.1',
      PORT: String(port),
      DATABASE_URL: db.url,
      JWT_PRIVATE_KEY: generateSigningKeyPem().replace(/\n/g, '\\n'),
      TOKEN_SECRET: 'tty-test-secret-tty-test-secret-0123456789',
      SMTP_URL: 'smtp://127.0.0.1:9',
    };
    const child = spawn('script', ['-qfec', 'node -r ./src/cli/register-ts.js src/main.ts', '/dev/null'], { cwd: ROOT, env, detached: true });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    try {
      await pollUntil('the listening line', () => output.includes('listening on'), { timeoutMs: 30_000 });
      const line = output.split('\n').find((l) => l.includes('listening on'))!;
      expect(line).toMatch(/INFO/);
      expect(line.trim().startsWith('{')).toBe(false);
    } finally {
      process.kill(-child.pid!, 'SIGTERM');
      await new Promise((resolve) => child.once('close', resolve));
      await db.drop();
    }
  });
});
