import { Writable } from 'node:stream';
import request from 'supertest';
import { createLogger } from '../src/logging/logger';
import { startTestApp } from './support/app';
import { createTestDatabase } from './support/database';
import { uniqueEmail } from './auth/helpers';

function capture() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  return { lines, logger: createLogger('info', stream) };
}

/** A fresh database and app at LOG_LEVEL=info whose log lines are captured; both are closed after `fn`. */
async function withLoggedApp(fn: (t: Awaited<ReturnType<typeof startTestApp>>, lines: string[]) => Promise<void>): Promise<void> {
  const db = await createTestDatabase();
  const { lines, logger } = capture();
  const t = await startTestApp(db.url, { LOG_LEVEL: 'info' }, { logger });
  try {
    await fn(t, lines);
  } finally {
    await t.close();
    await db.drop();
  }
}

describe('structured logs', () => {
  it('redact passwords and tokens wherever they appear', () => {
    const { lines, logger } = capture();
    logger.info(
      {
        password: 'hunter2hunter2',
        body: { password: 'p4ssw0rd!!', refresh_token: 'rt-secret', access_token: 'at-secret' },
        req: { headers: { authorization: 'Bearer eyJsecret', cookie: '__Host-refresh_token=rt-cookie' } },
      },
      'login',
    );
    const line = lines.join('');
    for (const secret of ['hunter2hunter2', 'p4ssw0rd!!', 'rt-secret', 'at-secret', 'eyJsecret', 'rt-cookie']) {
      expect(line).not.toContain(secret);
    }
    expect(JSON.parse(line).body.password).toBe('[redacted]');
  });

  it('redact at any depth: nested objects, arrays, error fields and causes', () => {
    const { lines, logger } = capture();
    const err = Object.assign(new Error('upstream failed'), {
      config: { headers: { Authorization: 'Bearer deep-bearer' }, data: { user: { password: 'err-password' } } },
      cause: Object.assign(new Error('inner'), { response: { body: { refresh_token: 'cause-refresh' } } }),
    });
    const cyclic: Record<string, unknown> = { name: 'loop' };
    cyclic.self = cyclic;
    logger.info(
      {
        a: { b: { c: { d: { e: { f: { password: 'six-levels-down', passwordHash: '$2b$12$hash-in-camel-case' } } } } } },
        list: [{ token: 'in-an-array' }, [{ nested: { client_secret: 'array-in-array' } }]],
        headers: { 'set-cookie': ['__Host-refresh_token=set-cookie-secret'] },
        err,
        cyclic,
      },
      'deep',
    );
    const line = lines.join('');
    for (const secret of ['six-levels-down', 'hash-in-camel-case', 'in-an-array', 'array-in-array', 'set-cookie-secret', 'deep-bearer', 'err-password', 'cause-refresh']) {
      expect(line).not.toContain(secret);
    }
    const parsed = JSON.parse(line);
    expect(parsed.a.b.c.d.e.f.password).toBe('[redacted]');
    expect(parsed.list[0].token).toBe('[redacted]');
    expect(parsed.err.message).toBe('upstream failed');
    expect(parsed.err.config.headers.Authorization).toBe('[redacted]');
    expect(parsed.cyclic.self).toBe('[circular]');
  });

  it('log a database error with its SQLSTATE and constraint, never its query text, parameters or detail', async () => {
    const db = await createTestDatabase();
    const { lines, logger } = capture();
    const t = await startTestApp(db.url);
    try {
      const email = 'leak-check@cathouse.example';
      const insert = `INSERT INTO auth.users (email, password_hash) VALUES ($1, $2)`;
      await t.dataSource.query(insert, [email, '$2b$12$first-hash']);
      const err = await t.dataSource.query(insert, [email, '$2b$12$second-hash']).catch((e: unknown) => e);
      logger.error({ err }, 'query failed');
      const badUuid = await t.dataSource.query(`SELECT 1 FROM auth.users WHERE id = $1`, ['not-a-uuid-but-a-secret']).catch((e: unknown) => e);
      logger.error({ err: badUuid }, 'query failed');
      const line = lines.join('');
      for (const leaked of [email, 'first-hash', 'second-hash', 'INSERT INTO', 'SELECT 1 FROM', 'not-a-uuid-but-a-secret']) {
        expect(line).not.toContain(leaked);
      }
      const [unique, invalid] = lines.map((l) => JSON.parse(l).err);
      expect(unique).toMatchObject({ type: 'QueryFailedError', code: '23505', constraint: 'uq_users_email' });
      expect(invalid).toMatchObject({ code: '22P02' });
    } finally {
      await t.close();
      await db.drop();
    }
  });

  it('access log: one line per request with its id, method, path, status and time, and nothing of its query, headers or body', async () => {
    await withLoggedApp(async (t, lines) => {
      const res = await request(t.app).get('/api/v1/auth/me?email=secret-query@cathouse.example').set('authorization', 'Bearer not.a.jwt').set('x-request-id', 'edge-42');
      expect(res.status).toBe(401);
      const access = lines.map((l) => JSON.parse(l)).filter((l) => l.msg === 'request completed');
      expect(access).toHaveLength(1);
      expect(access[0]).toMatchObject({ level: 30, req: { id: 'edge-42', method: 'GET', path: '/api/v1/auth/me' }, res: { status: 401 } });
      expect(typeof access[0].responseTime).toBe('number');
      expect(lines.join('')).not.toMatch(/secret-query|not\.a\.jwt/);
    });
  });

  it('access log: a 5xx answer is logged at error, with the request id the handler logged under', async () => {
    await withLoggedApp(async (t, lines) => {
      await t.dataSource.query(`ALTER TABLE auth.users ADD CONSTRAINT chk_test_access_log CHECK (display_name IS DISTINCT FROM 'Boom')`);
      const res = await request(t.app).post('/api/v1/auth/register').send({ email: uniqueEmail('access'), password: 'correct horse battery staple', display_name: 'Boom' });
      expect(res.status).toBe(500);
      const parsed = lines.map((l) => JSON.parse(l));
      const handlerLine = parsed.find((l) => l.msg === 'unhandled error');
      const access = parsed.find((l) => l.msg === 'request completed');
      expect(access).toMatchObject({ level: 50, res: { status: 500 }, req: { method: 'POST', path: '/api/v1/auth/register' } });
      expect(handlerLine.req.id).toBe(access.req.id);
      expect(res.headers['x-request-id']).toBe(access.req.id);
    });
  });

  it('a database failure behind a 500 logs no email, hash or SQL of the request', async () => {
    await withLoggedApp(async (t, lines) => {
      // A constraint the application does not expect makes the user INSERT fail with a 500.
      await t.dataSource.query(`ALTER TABLE auth.users ADD CONSTRAINT chk_test_display_name CHECK (display_name IS DISTINCT FROM 'Mia Secretname')`);
      const email = uniqueEmail('leak');
      const res = await request(t.app).post('/api/v1/auth/register').send({ email, password: 'correct horse battery staple', display_name: 'Mia Secretname' });
      expect(res.status).toBe(500);
      const line = lines.find((l) => l.includes('unhandled error'));
      expect(line).toBeDefined();
      expect(JSON.parse(line!).err).toMatchObject({ type: 'QueryFailedError', code: '23514', constraint: 'chk_test_display_name' });
      for (const leaked of [email, '$2b$', 'INSERT INTO', 'Secretname']) expect(lines.join('')).not.toContain(leaked);
    });
  });
});

describe('control characters in request fields', () => {
  const db = { url: '', drop: async () => undefined } as { url: string; drop: () => Promise<void> };
  let t: Awaited<ReturnType<typeof startTestApp>>;
  beforeAll(async () => {
    Object.assign(db, await createTestDatabase());
    t = await startTestApp(db.url);
  });
  afterAll(async () => {
    await t.close();
    await db.drop();
  });

  it.each([
    ['display_name', { display_name: 'Mia\u0000' }],
    ['display_name', { display_name: 'Mia\nINFO forged log line' }],
    ['display_name', { display_name: 'Mia\u001b[31m' }],
    ['password', { password: 'correct horse\u0000battery' }],
    ['email', { email: 'mia\u0007@cathouse.example' }],
  ])('register refuses a control character in %s with 400 invalid_request naming it', async (field, override) => {
    const res = await request(t.app)
      .post('/api/v1/auth/register')
      .send({ email: uniqueEmail(), password: 'correct horse battery staple', ...override });
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('invalid_request');
    expect(res.body.invalid_params).toEqual([{ name: field, reason: 'contains control characters' }]);
  });

  it('login, token (form-encoded) and refresh refuse them too', async () => {
    const login = await request(t.app).post('/api/v1/auth/login').send({ email: uniqueEmail(), password: 'x\u0000' });
    const token = await request(t.app).post('/api/v1/auth/token').type('form').send('grant_type=password&username=a%00@b.example&password=x');
    const refresh = await request(t.app).post('/api/v1/auth/refresh').send({ refresh_token: 'abc\u007f' });
    for (const res of [login, token, refresh]) {
      expect(res.status).toBe(400);
      expect(res.body.error).toBe('invalid_request');
    }
  });
});
