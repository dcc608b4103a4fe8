import request from 'supertest';
import { startTestApp, type TestApp } from '../support/app';
import { startSiteverifyServer, startStallingServer, type LocalServer } from '../support/abuse-servers';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { register, uniqueEmail } from '../auth/helpers';

const api = (path: string) => `/api/v1/auth${path}`;
const SECRET = '0x4AAAAAAAtestsecret';
const HOST = 'app.cathouse.example';
const PASSWORD = 'correct horse battery staple';

async function metric(t: TestApp, line: string): Promise<number> {
  const text = (await request(t.app).get('/metrics')).text;
  return Number(text.split('\n').find((l) => l.startsWith(`${line} `))?.split(' ')[1] ?? NaN);
}

describe('CAPTCHA (Turnstile) against a server speaking siteverify', () => {
  let db: TestDatabase;
  let siteverify: LocalServer & { issue(t: { hostname: string; action?: string }): string };
  let t: TestApp;

  beforeAll(async () => {
    db = await createTestDatabase();
    siteverify = await startSiteverifyServer(SECRET);
    t = await startTestApp(db.url, {
      CAPTCHA_PROVIDER: 'turnstile',
      CAPTCHA_SECRET: SECRET,
      CAPTCHA_SITE_KEY: '0x4AAAAAAAtestsitekey',
      CAPTCHA_VERIFY_URL: siteverify.url,
      CAPTCHA_HOSTNAMES: HOST,
      CAPTCHA_LOGIN_AFTER_FAILURES: '2',
    });
  });
  afterAll(async () => {
    await t?.close();
    await siteverify?.close();
    await db?.drop();
  });

  const registerWith = (captcha_token?: string, email = uniqueEmail('captcha')) =>
    request(t.app).post(api('/register')).send({ email, password: PASSWORD, ...(captcha_token ? { captcha_token } : {}) });

  it('registration without a token is 400 captcha_required naming the action, and counted', async () => {
    const res = await registerWith();
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ error: 'captcha_required', captcha_action: 'register' });
    expect(await metric(t, 'auth_captcha_failures_total{action="register",reason="missing"}')).toBe(1);
    expect(await metric(t, 'auth_registrations_blocked_total{reason="captcha"}')).toBe(1);
  });

  it('a solved token passes once; siteverify got the secret, the token and the client address; a replay is captcha_failed', async () => {
    const token = siteverify.issue({ hostname: HOST, action: 'register' });
    expect((await registerWith(token)).status).toBe(201);
    const form = new URLSearchParams(siteverify.requests.at(-1)!.body);
    expect(form.get('secret')).toBe(SECRET);
    expect(form.get('response')).toBe(token);
    expect(form.get('remoteip')).toMatch(/127\.0\.0\.1/);
    const replay = await registerWith(token);
    expect(replay.status).toBe(400);
    expect(replay.body).toMatchObject({ error: 'captcha_failed', captcha_errors: ['timeout-or-duplicate'] });
  });

  it('a token solved for another action (login) does not pass at registration', async () => {
    const res = await registerWith(siteverify.issue({ hostname: HOST, action: 'login' }));
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ error: 'captcha_failed', captcha_errors: ['action-mismatch'] });
  });

  it('a token solved on another hostname does not pass', async () => {
    const res = await registerWith(siteverify.issue({ hostname: 'evil.example', action: 'register' }));
    expect(res.body).toMatchObject({ error: 'captcha_failed', captcha_errors: ['hostname-mismatch'] });
  });

  it('a made-up token is refused with the provider\'s error code', async () => {
    const res = await registerWith('0.made-up');
    expect(res.body).toMatchObject({ error: 'captcha_failed', captcha_errors: ['invalid-input-response'] });
    expect(await metric(t, 'auth_captcha_failures_total{action="register",reason="rejected"}')).toBeGreaterThanOrEqual(3);
  });

  it('forgot-password asks for a token too, and accepts one solved for forgot_password', async () => {
    const email = uniqueEmail('forgot');
    const missing = await request(t.app).post(api('/password/forgot')).send({ email });
    expect(missing.body).toMatchObject({ error: 'captcha_required', captcha_action: 'forgot_password' });
    const ok = await request(t.app).post(api('/password/forgot')).send({ email, captcha_token: siteverify.issue({ hostname: HOST, action: 'forgot_password' }) });
    expect(ok.status).toBe(202);
  });

  it('login asks for nothing until this client has failed CAPTCHA_LOGIN_AFTER_FAILURES times on the account, then needs a token', async () => {
    const email = uniqueEmail('login');
    await registerWith(siteverify.issue({ hostname: HOST, action: 'register' }), email).expect(201);
    const login = (password: string, captcha_token?: string) => request(t.app).post(api('/login')).send({ email, password, ...(captcha_token ? { captcha_token } : {}) });
    expect((await login(PASSWORD)).status).toBe(200);
    expect((await login('wrong password 1')).body.error).toBe('invalid_credentials');
    expect((await login('wrong password 2')).body.error).toBe('invalid_credentials');
    const asked = await login(PASSWORD);
    expect(asked.status).toBe(400);
    expect(asked.body).toMatchObject({ error: 'captcha_required', captcha_action: 'login' });
    // The password grant of /token is the same login.
    const viaToken = await request(t.app).post(api('/token')).send({ grant_type: 'password', username: email, password: PASSWORD });
    // RFC 6749 §5.2 format there: our code as an extension code (like rate_limited), with the action to render.
    expect(viaToken.body).toMatchObject({ error: 'captcha_required', captcha_action: 'login' });
    expect(viaToken.body.error_description).toEqual(expect.any(String));
    expect((await login(PASSWORD, siteverify.issue({ hostname: HOST, action: 'register' }))).body.error).toBe('captcha_failed');
    expect((await login(PASSWORD, siteverify.issue({ hostname: HOST, action: 'login' }))).status).toBe(200);
    // The success cleared this client's failures: no CAPTCHA on the next login.
    expect((await login(PASSWORD)).status).toBe(200);
  });
});

describe('CAPTCHA when siteverify stalls', () => {
  let db: TestDatabase;
  let stalling: LocalServer;
  let closed: TestApp;
  let open: TestApp;

  beforeAll(async () => {
    db = await createTestDatabase();
    stalling = await startStallingServer();
    const env = { CAPTCHA_PROVIDER: 'hcaptcha', CAPTCHA_SECRET: SECRET, CAPTCHA_SITE_KEY: '10000000-ffff-ffff-ffff-000000000001', CAPTCHA_VERIFY_URL: stalling.url, CAPTCHA_TIMEOUT_MS: '300' };
    closed = await startTestApp(db.url, env);
    open = await startTestApp(db.url, { ...env, CAPTCHA_ON_ERROR: 'fail-open' });
  });
  afterAll(async () => {
    await closed?.close();
    await open?.close();
    await stalling?.close();
    await db?.drop();
  });

  it('fail-closed (the default): 503 captcha_unavailable after the timeout', async () => {
    const res = await request(closed.app).post(api('/register')).send({ email: uniqueEmail('stall'), password: PASSWORD, captcha_token: 'P1_token' });
    expect(res.status).toBe(503);
    expect(res.body.error).toBe('captcha_unavailable');
    expect(await metric(closed, 'auth_captcha_failures_total{action="register",reason="unavailable"}')).toBe(1);
  });

  it('fail-open: the request goes on without the check', async () => {
    await register(open.app, uniqueEmail('stall-open'), PASSWORD, { captcha_token: 'P1_token' });
  });
});
