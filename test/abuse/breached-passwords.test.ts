import { createHash } from 'node:crypto';
import request from 'supertest';
import { issueAccountToken } from '../../src/auth/accounts/account-tokens';
import { startTestApp, type TestApp } from '../support/app';
import { startRangeServer, startStallingServer, type LocalServer } from '../support/abuse-servers';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { bearer, register, uniqueEmail } from '../auth/helpers';

const api = (path: string) => `/api/v1/auth${path}`;
const BREACHED = 'Password123!';
const SELDOM = 'rarely seen pass 7';
const PADDING_ONLY = 'padding only pass 9';
const sha1 = (p: string) => createHash('sha1').update(p, 'utf8').digest('hex').toUpperCase();

async function metric(t: TestApp, line: string): Promise<number> {
  const text = (await request(t.app).get('/metrics')).text;
  const found = text.split('\n').find((l) => l.startsWith(`${line} `));
  return Number(found?.split(' ')[1] ?? NaN);
}

describe('breached-password check against a server speaking the range API', () => {
  let db: TestDatabase;
  let range: LocalServer;
  let t: TestApp;

  beforeAll(async () => {
    db = await createTestDatabase();
    range = await startRangeServer({ [BREACHED]: 52_256, [SELDOM]: 2 }, { paddedAs: [PADDING_ONLY] });
    t = await startTestApp(db.url, { BREACHED_PASSWORD_CHECK: 'on', BREACHED_PASSWORD_RANGE_URL: `${range.url}/range`, BREACHED_PASSWORD_MIN_COUNT: '3' });
  });
  afterAll(async () => {
    await t?.close();
    await range?.close();
    await db?.drop();
  });

  it('registration with a breached password is 400 password_breached, and only the 5-hex prefix left the service, padded', async () => {
    range.requests.length = 0;
    const res = await request(t.app).post(api('/register')).send({ email: uniqueEmail('breached'), password: BREACHED });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ error: 'password_breached', invalid_params: [{ name: 'password', reason: 'found in data breaches' }] });
    expect(range.requests).toHaveLength(1);
    const [seen] = range.requests;
    expect(seen!.path).toBe(`/range/${sha1(BREACHED).slice(0, 5)}`);
    expect(seen!.headers['add-padding']).toBe('true');
    const everything = JSON.stringify(range.requests);
    expect(everything).not.toContain(BREACHED);
    expect(everything).not.toContain(sha1(BREACHED).slice(5));
    expect(await metric(t, 'auth_breached_passwords_refused_total{flow="registration"}')).toBeGreaterThanOrEqual(1);
    expect(await metric(t, 'auth_registrations_blocked_total{reason="breached_password"}')).toBeGreaterThanOrEqual(1);
  });

  it('a password seen fewer times than BREACHED_PASSWORD_MIN_COUNT is accepted', async () => {
    await register(t.app, uniqueEmail('seldom'), SELDOM);
  });

  it('a suffix that comes back only as a padding line (count 0) is not a breach', async () => {
    await register(t.app, uniqueEmail('padding'), PADDING_ONLY);
  });

  it('a range answer is cached: the same prefix again makes no request', async () => {
    await request(t.app).post(api('/register')).send({ email: uniqueEmail('cached'), password: BREACHED });
    const before = range.requests.length;
    const res = await request(t.app).post(api('/register')).send({ email: uniqueEmail('cached'), password: BREACHED });
    expect(res.body.error).toBe('password_breached');
    expect(range.requests.length).toBe(before);
  });

  it('password reset refuses a breached password and leaves the link usable for a good one', async () => {
    const user = await register(t.app, uniqueEmail('reset'));
    const token = await t.dataSource.transaction((m) => issueAccountToken(m, user.user.id, 'reset_password', 600));
    const refused = await request(t.app).post(api('/password/reset')).send({ token, password: BREACHED });
    expect(refused.status).toBe(400);
    expect(refused.body.error).toBe('password_breached');
    expect((await request(t.app).post(api('/password/reset')).send({ token, password: 'a fresh unbreached one' })).status).toBe(204);
    expect(await metric(t, 'auth_breached_passwords_refused_total{flow="reset"}')).toBeGreaterThanOrEqual(1);
  });

  it('password change refuses a breached new password (new_password named) and keeps the old one', async () => {
    const email = uniqueEmail('change');
    const user = await register(t.app, email);
    const refused = await request(t.app)
      .post(api('/password/change'))
      .set(bearer(user.access_token))
      .send({ current_password: 'correct horse battery staple', new_password: BREACHED });
    expect(refused.status).toBe(400);
    expect(refused.body).toMatchObject({ error: 'password_breached', invalid_params: [{ name: 'new_password' }] });
    expect((await request(t.app).post(api('/login')).send({ email, password: 'correct horse battery staple' })).status).toBe(200);
  });
});

describe('breached-password check when the range endpoint stalls', () => {
  let db: TestDatabase;
  let stalling: LocalServer;
  let open: TestApp;
  let closed: TestApp;

  beforeAll(async () => {
    db = await createTestDatabase();
    stalling = await startStallingServer();
    const env = { BREACHED_PASSWORD_CHECK: 'on', BREACHED_PASSWORD_RANGE_URL: `${stalling.url}/range/`, BREACHED_PASSWORD_TIMEOUT_MS: '300' };
    open = await startTestApp(db.url, { ...env, BREACHED_PASSWORD_ON_ERROR: 'fail-open' });
    closed = await startTestApp(db.url, { ...env, BREACHED_PASSWORD_ON_ERROR: 'fail-closed' });
  });
  afterAll(async () => {
    await open?.close();
    await closed?.close();
    await stalling?.close();
    await db?.drop();
  });

  it('fail-open: registration goes through after the timeout, counted as allowed', async () => {
    const started = Date.now();
    await register(open.app, uniqueEmail('open'), BREACHED);
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    expect(stalling.requests.length).toBeGreaterThanOrEqual(1);
    expect(await metric(open, 'auth_breach_check_errors_total{outcome="allowed"}')).toBe(1);
  });

  it('fail-closed: registration is 503 breach_check_unavailable, and no account is made', async () => {
    const email = uniqueEmail('closed');
    const res = await request(closed.app).post(api('/register')).send({ email, password: 'any password at all' });
    expect(res.status).toBe(503);
    expect(res.body.error).toBe('breach_check_unavailable');
    expect(await closed.dataSource.query(`SELECT 1 FROM auth.users WHERE email = $1`, [email])).toEqual([]);
    expect(await metric(closed, 'auth_breach_check_errors_total{outcome="refused"}')).toBe(1);
  });
});
