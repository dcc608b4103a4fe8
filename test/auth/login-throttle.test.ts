import request from 'supertest';
import { startTestApp, type TestApp } from '../support/app';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { register, uniqueEmail } from './helpers';

const LOGIN = '/api/v1/auth/login';
const PASSWORD = 'correct horse battery staple';

describe('failed-login throttling, shared by all instances through PostgreSQL', () => {
  let db: TestDatabase;
  let a: TestApp;
  let b: TestApp;
  const env = {
    LOGIN_MAX_FAILURES_PER_ACCOUNT: '3',
    LOGIN_MAX_FAILURES_PER_IP: '8',
    LOGIN_THROTTLE_WINDOW_SECONDS: '600',
    // Behind one proxy hop, X-Forwarded-For gives the client address: each test uses its own.
    TRUST_PROXY: '1',
  };

  beforeAll(async () => {
    db = await createTestDatabase();
    a = await startTestApp(db.url, env);
    b = await startTestApp(db.url, env);
  });
  afterAll(async () => {
    await a.close();
    await b.close();
    await db.drop();
  });

  let ipCounter = 0;
  const newIp = () => `203.0.113.${++ipCounter}`;
  const login = (t: TestApp, email: string, password: string, ip: string) =>
    request(t.app).post(LOGIN).set('X-Forwarded-For', ip).send({ email, password });

  it('after the allowed failures an account answers 429 rate_limited with Retry-After, even to the right password', async () => {
    const email = uniqueEmail();
    await register(a.app, email);
    const ip = newIp();
    for (let i = 0; i < 3; i++) expect((await login(a, email, 'wrong password', ip)).body.error).toBe('invalid_credentials');
    const blocked = await login(a, email, PASSWORD, ip);
    expect(blocked.status).toBe(429);
    expect(blocked.body.error).toBe('rate_limited');
    const retryAfter = Number(blocked.headers['retry-after']);
    expect(retryAfter).toBeGreaterThan(590);
    expect(retryAfter).toBeLessThanOrEqual(600);
    expect(blocked.body.retry_after).toBe(retryAfter);
  });

  it('the account limit holds across client addresses and across instances', async () => {
    const email = uniqueEmail();
    await register(a.app, email);
    await login(a, email, 'wrong password', newIp());
    await login(b, email, 'wrong password', newIp());
    await login(a, email, 'wrong password', newIp());
    const blocked = await login(b, email, PASSWORD, newIp());
    expect(blocked.status).toBe(429);
  });

  it('a successful login resets the account counter', async () => {
    const email = uniqueEmail();
    await register(a.app, email);
    const ip = newIp();
    await login(a, email, 'wrong password', ip);
    await login(a, email, 'wrong password', ip);
    expect((await login(b, email, PASSWORD, ip)).status).toBe(200);
    for (let i = 0; i < 3; i++) expect((await login(a, email, 'wrong password', ip)).status).toBe(401);
    expect((await login(a, email, PASSWORD, ip)).status).toBe(429);
  });

  it('limits failures per client address across many accounts (credential stuffing)', async () => {
    const ip = newIp();
    const statuses: number[] = [];
    for (let i = 0; i < 9; i++) statuses.push((await login(i % 2 ? a : b, uniqueEmail('stuffed'), 'guess', ip)).status);
    expect(statuses).toEqual([401, 401, 401, 401, 401, 401, 401, 401, 429]);
    // Another address is not affected.
    expect((await login(a, uniqueEmail('other'), 'guess', newIp())).status).toBe(401);
  });

  it('unknown emails are throttled like known ones (no enumeration through 429s)', async () => {
    const email = uniqueEmail('ghost');
    const ip = newIp();
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await login(a, email, 'guess', ip)).status);
    expect(statuses).toEqual([401, 401, 401, 429]);
  });

  it('the block ends with the window', async () => {
    const email = uniqueEmail();
    await register(a.app, email);
    const ip = newIp();
    for (let i = 0; i < 4; i++) await login(a, email, 'wrong password', ip);
    expect((await login(a, email, PASSWORD, ip)).status).toBe(429);
    // Age every counter past its window instead of waiting ten minutes.
    await a.dataSource.query(`UPDATE auth.rate_limits SET expire = $1`, [Date.now() - 1]);
    expect((await login(a, email, PASSWORD, ip)).status).toBe(200);
  });

  it('keeps its state in the rate_limits table, created by a migration (the runtime runs no DDL)', async () => {
    const rows = await a.dataSource.query(`SELECT key, points, expire FROM auth.rate_limits LIMIT 1`);
    expect(rows.length).toBe(1);
    expect(rows[0].key).toMatch(/^login_(account|ip):/);
    const [{ count }] = await a.dataSource.query(`SELECT count(*)::int AS count FROM migrator.migrations WHERE name LIKE 'LoginThrottle%'`);
    expect(count).toBe(1);
  });
});

describe('the throttle at run time', () => {
  it('never creates its table itself (tableCreated: true): the schema belongs to the migrations', async () => {
    const db = await createTestDatabase();
    const t = await startTestApp(db.url);
    try {
      await t.dataSource.query(`DROP TABLE auth.rate_limits`);
      const res = await request(t.app).post(LOGIN).send({ email: uniqueEmail(), password: PASSWORD });
      expect(res.status).toBe(500);
      const [{ exists }] = await t.dataSource.query(`SELECT to_regclass('public.rate_limits') IS NOT NULL AS exists`);
      expect(exists).toBe(false);
    } finally {
      await t.close();
      await db.drop();
    }
  });
});
