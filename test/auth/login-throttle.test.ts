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

  it('after the allowed failures from one address, that address gets 429 rate_limited with Retry-After on the account, even with the right password', async () => {
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

  it('the owner gets in from another address while an attack on the account runs, and the attacker stays throttled (OWASP: no lockout by strangers)', async () => {
    const email = uniqueEmail('owner');
    await register(a.app, email);
    const attacker = newIp();
    const attack = [];
    for (let i = 0; i < 6; i++) attack.push((await login(i % 2 ? a : b, email, `guess ${i}`, attacker)).status);
    expect(attack).toEqual([401, 401, 401, 429, 429, 429]);
    // The owner, from an address that has not failed, on either instance.
    expect((await login(b, email, PASSWORD, newIp())).status).toBe(200);
    // The attack goes on, and is still refused, on both instances, even when it guesses right.
    expect((await login(a, email, 'guess 7', attacker)).status).toBe(429);
    expect((await login(b, email, PASSWORD, attacker)).status).toBe(429);
  });

  it('an attack spread over many addresses gets a per-account backoff for the addresses that failed, never for a clean one', async () => {
    const spread = await startTestApp(db.url, { ...env, LOGIN_ACCOUNT_BACKOFF_AFTER: '4', LOGIN_ACCOUNT_BACKOFF_SECONDS: '600' });
    try {
      const email = uniqueEmail('spread');
      await register(a.app, email);
      const bots = [newIp(), newIp(), newIp()];
      // Each address's first guess is that of a client that has not failed: let through to the password check.
      for (const ip of bots) expect((await login(spread, email, 'guess', ip)).status).toBe(401);
      // The account now has 3 failures; a fourth from a failed address brings it to the threshold.
      expect((await login(spread, email, 'guess', bots[0]!)).status).toBe(401);
      // Past it, failed addresses share one attempt per 600 s: the next one takes it, the rest wait.
      expect((await login(spread, email, 'guess', bots[1]!)).status).toBe(401);
      const paced = await login(spread, email, 'guess', bots[2]!);
      expect(paced.status).toBe(429);
      expect(Number(paced.headers['retry-after'])).toBeGreaterThan(590);
      // The owner from a clean address is not paced.
      expect((await login(spread, email, PASSWORD, newIp())).status).toBe(200);
    } finally {
      await spread.close();
    }
  });

  it('a successful login forgets the failures of that address on the account', async () => {
    const email = uniqueEmail();
    await register(a.app, email);
    const ip = newIp();
    await login(a, email, 'wrong password', ip);
    await login(a, email, 'wrong password', ip);
    expect((await login(b, email, PASSWORD, ip)).status).toBe(200);
    for (let i = 0; i < 3; i++) expect((await login(a, email, 'wrong password', ip)).status).toBe(401);
    expect((await login(a, email, PASSWORD, ip)).status).toBe(429);
  });

  it('the password checks of password change, email change and deletion count as failed logins: a stolen access token gets no more guesses than the login form', async () => {
    const email = uniqueEmail('reauth');
    const { access_token: stolen } = await register(a.app, email);
    const attacker = newIp();
    const as = (t: TestApp, method: 'post' | 'delete', path: string, body: object, ip = attacker) =>
      request(t.app)[method](`/api/v1/auth${path}`).set('Authorization', `Bearer ${stolen}`).set('X-Forwarded-For', ip).send(body);
    const guesses = [
      (await as(a, 'post', '/password/change', { current_password: 'guess 1', new_password: 'a brand new passphrase' })).status,
      (await as(b, 'post', '/email/change', { new_email: uniqueEmail('takeover'), password: 'guess 2' })).status,
      (await as(a, 'delete', '/me', { password: 'guess 3' })).status,
      // The budget is spent, wherever it was spent: the right password is refused too, here and at login.
      (await as(b, 'post', '/password/change', { current_password: PASSWORD, new_password: 'a brand new passphrase' })).status,
    ];
    expect(guesses).toEqual([401, 401, 401, 429]);
    expect((await login(a, email, PASSWORD, attacker)).status).toBe(429);
    // The owner, from an address that has not failed, is not affected; a right password there forgets nothing of the attacker's.
    const owner = newIp();
    expect((await login(b, email, PASSWORD, owner)).status).toBe(200);
    expect((await as(a, 'post', '/password/change', { current_password: PASSWORD, new_password: 'a brand new passphrase' }, owner)).status).toBe(204);
    expect((await login(a, email, 'a brand new passphrase', attacker)).status).toBe(429);
  });

  it('limits failures per client address across many accounts (credential stuffing)', async () => {
    const ip = newIp();
    const statuses: number[] = [];
    for (let i = 0; i < 9; i++) statuses.push((await login(i % 2 ? a : b, uniqueEmail('stuffed'), 'guess', ip)).status);
    expect(statuses).toEqual([401, 401, 401, 401, 401, 401, 401, 401, 429]);
    // Another address is not affected.
    expect((await login(a, uniqueEmail('other'), 'guess', newIp())).status).toBe(401);
  });

  it('IPv6 clients are limited by their /64: ten addresses of one prefix share one budget, another prefix has its own', async () => {
    const prefix = `2001:db8:${(++ipCounter).toString(16)}:1`;
    const statuses: number[] = [];
    for (let i = 1; i <= 10; i++) statuses.push((await login(a, uniqueEmail('v6'), 'guess', `${prefix}:${i.toString(16)}:0:0:1`)).status);
    expect(statuses).toEqual([401, 401, 401, 401, 401, 401, 401, 401, 429, 429]);
    // Another /64 is unaffected.
    expect((await login(a, uniqueEmail('v6'), 'guess', `2001:db8:${(++ipCounter).toString(16)}:1::1`)).status).toBe(401);
  });

  it('the IPv6 prefix length is configurable (CLIENT_IPV6_PREFIX=128 keys single addresses)', async () => {
    const single = await startTestApp(db.url, { ...env, CLIENT_IPV6_PREFIX: '128' });
    try {
      const prefix = `2001:db8:${(++ipCounter).toString(16)}:1`;
      const statuses: number[] = [];
      for (let i = 1; i <= 10; i++) statuses.push((await login(single, uniqueEmail('v6'), 'guess', `${prefix}::${i.toString(16)}`)).status);
      expect(statuses).toEqual(Array(10).fill(401));
    } finally {
      await single.close();
    }
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
    expect(rows[0].key).toMatch(/^(login|register)_[a-z_]+:/);
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
