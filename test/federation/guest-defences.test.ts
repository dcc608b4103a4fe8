import request from 'supertest';
import { startTestApp, type TestApp } from '../support/app';
import { startRangeServer, startSiteverifyServer, type LocalServer } from '../support/abuse-servers';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { startSmtpServer, type TestSmtpServer } from '../support/smtp';
import { bearer, uniqueEmail } from '../auth/helpers';
import { appleClaims, rawNonce, StandInProvider } from './stand-in-provider';
import { APPLE_CLIENT, federationEnv, metricValue } from './support';

/**
 * A guest's password upgrade is a registration (issue 25 item 4, issue 30): it passes the
 * CAPTCHA, the address policy and the breached-password check of POST register, so that
 * guest → upgrade is no way around them; a new guest needs the CAPTCHA too (action `guest`). Sign-ups
 * other than POST register keep the player's language (issue 30 §4): the upgrade's verification mail
 * is in it, and an ID-token sign-up stores it. Against a siteverify and an HIBP range server on
 * loopback and a real SMTP server.
 */
const api = (path: string) => `/api/v1/auth${path}`;
const SECRET = '0x4AAAAAAAtestsecret';
const HOST = 'app.cathouse.example';
const PASSWORD = 'correct horse battery staple';
const BREACHED = 'Password123!';

let db: TestDatabase;
let smtp: TestSmtpServer;
let range: LocalServer;
let siteverify: Awaited<ReturnType<typeof startSiteverifyServer>>;
let apple: StandInProvider;
let google: StandInProvider;
let t: TestApp;

beforeAll(async () => {
  [db, smtp, range, siteverify, apple, google] = await Promise.all([
    createTestDatabase(),
    startSmtpServer(),
    startRangeServer({ [BREACHED]: 52_256 }),
    startSiteverifyServer(SECRET),
    StandInProvider.start('apple'),
    StandInProvider.start('google'),
  ]);
  t = await startTestApp(
    db.url,
    {
      ...federationEnv(apple, google),
      SMTP_URL: smtp.url,
      APP_URL: 'https://app.cathouse.example',
      MAIL_POLL_INTERVAL_MS: '100',
      BREACHED_PASSWORD_CHECK: 'on',
      BREACHED_PASSWORD_RANGE_URL: `${range.url}/range`,
      CAPTCHA_PROVIDER: 'turnstile',
      CAPTCHA_SECRET: SECRET,
      CAPTCHA_SITE_KEY: '0x4AAAAAAAtestsitekey',
      CAPTCHA_VERIFY_URL: siteverify.url,
      CAPTCHA_HOSTNAMES: HOST,
      GUEST_MAX_PER_IP: '1000',
    },
    { mail: true },
  );
});
afterAll(async () => {
  await t?.close();
  await Promise.all([smtp?.stop(), range?.close(), siteverify?.close(), apple?.close(), google?.close()]);
  await db?.drop();
});

const solved = (action: string) => siteverify.issue({ hostname: HOST, action });

async function guest(): Promise<{ access_token: string; user: { id: string } }> {
  const res = await request(t.app).post(api('/guest')).send({ captcha_token: solved('guest') });
  expect(res.status).toBe(201);
  return res.body as { access_token: string; user: { id: string } };
}

const upgrade = (g: { access_token: string }, body: Record<string, unknown>) => request(t.app).post(api('/guest/upgrade')).set(bearer(g.access_token)).send(body);

async function stillGuest(g: { access_token: string }): Promise<void> {
  const me = await request(t.app).get(api('/me')).set(bearer(g.access_token));
  expect(me.body).toMatchObject({ is_anonymous: true, role: 'guest', email: null });
}

describe('a new guest and the CAPTCHA', () => {
  it('POST guest without a token is 400 captcha_required (action guest); a token of the guest widget passes; one solved on the register form does not', async () => {
    const missing = await request(t.app).post(api('/guest'));
    expect(missing.status).toBe(400);
    expect(missing.body).toMatchObject({ error: 'captcha_required', captcha_action: 'guest' });
    const wrongForm = await request(t.app).post(api('/guest')).send({ captcha_token: solved('register') });
    expect(wrongForm.body).toMatchObject({ error: 'captcha_failed', captcha_errors: ['action-mismatch'] });
    await guest();
    expect(await metricValue(t.app, 'auth_captcha_failures_total{action="guest",reason="missing"}')).toBe(1);
  });
});

describe('a password upgrade passes the defences of POST register', () => {
  it('without the register CAPTCHA it is 400 captcha_required (action register), counted as a blocked registration, and the guest stays a guest', async () => {
    const g = await guest();
    const blocked = await metricValue(t.app, 'auth_registrations_blocked_total{reason="captcha"}');
    const res = await upgrade(g, { email: uniqueEmail('nocaptcha'), password: PASSWORD });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ error: 'captcha_required', captcha_action: 'register' });
    expect(await metricValue(t.app, 'auth_registrations_blocked_total{reason="captcha"}')).toBe(blocked + 1);
    expect((await upgrade(g, { email: uniqueEmail('guestform'), password: PASSWORD, captcha_token: solved('guest') })).body.error).toBe('captcha_failed');
    await stillGuest(g);
  });

  it('a breached password is 400 password_breached (only the range prefix asked), and the guest stays a guest', async () => {
    const g = await guest();
    range.requests.length = 0;
    const res = await upgrade(g, { email: uniqueEmail('breached'), password: BREACHED, captcha_token: solved('register') });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ error: 'password_breached', invalid_params: [{ name: 'password' }] });
    expect(range.requests).toHaveLength(1);
    expect(await metricValue(t.app, 'auth_breached_passwords_refused_total{flow="registration"}')).toBeGreaterThanOrEqual(1);
    await stillGuest(g);
  });

  it('an address under a refused top-level domain is 400 email_not_allowed, and the guest stays a guest', async () => {
    const g = await guest();
    const res = await upgrade(g, { email: 'mia@cats.test', password: PASSWORD, captcha_token: solved('register') });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ error: 'email_not_allowed', invalid_params: [{ name: 'email' }] });
    await stillGuest(g);
  });

  it('an ID-token upgrade needs no CAPTCHA: the provider proved the address', async () => {
    const g = await guest();
    const nonce = rawNonce();
    const res = await upgrade(g, { provider: 'apple', id_token: await apple.sign(appleClaims(apple, APPLE_CLIENT, nonce)), nonce });
    expect(res.status).toBe(200);
    expect(res.body.user).toMatchObject({ id: g.user.id, is_anonymous: false });
  });
});

describe("the language of a sign-up that is not POST register", () => {
  it('a guest upgrading with Accept-Language: es gets its verification mail in Spanish, and keeps es', async () => {
    const g = await guest();
    const email = uniqueEmail('es-upgrade');
    const res = await upgrade(g, { email, password: PASSWORD, captcha_token: solved('register') }).set('Accept-Language', 'es-ES,es;q=0.9');
    expect(res.status).toBe(200);
    expect(res.body.user).toMatchObject({ id: g.user.id, email, locale: 'es' });
    const mail = await smtp.waitFor(email);
    expect(mail.subject).toBe('Confirma tu dirección de correo');
    expect(mail.html).toContain('<html lang="es">');
  });

  it("the upgrade body's locale wins over Accept-Language", async () => {
    const g = await guest();
    const email = uniqueEmail('es-ar-upgrade');
    const res = await upgrade(g, { email, password: PASSWORD, captcha_token: solved('register'), locale: 'es-AR' }).set('Accept-Language', 'en');
    expect(res.body.user.locale).toBe('es-AR');
    expect((await smtp.waitFor(email)).subject).toBe('Confirma tu dirección de correo');
  });

  it('an ID-token sign-up with Accept-Language: es stores es (GET me shows it); a body locale wins over the header', async () => {
    const nonce = rawNonce();
    const res = await request(t.app).post(api('/id-token')).set('Accept-Language', 'es-MX,es;q=0.9').send({ provider: 'apple', nonce, id_token: await apple.sign(appleClaims(apple, APPLE_CLIENT, nonce)) });
    expect(res.status).toBe(201);
    const me = await request(t.app).get(api('/me')).set(bearer(res.body.access_token));
    expect(me.body.locale).toBe('es');
    const nonce2 = rawNonce();
    const chosen = await request(t.app).post(api('/id-token')).set('Accept-Language', 'en').send({ provider: 'apple', nonce: nonce2, locale: 'es-AR', id_token: await apple.sign(appleClaims(apple, APPLE_CLIENT, nonce2)) });
    expect(chosen.status).toBe(201);
    expect(chosen.body.user.locale).toBe('es-AR');
  });
});
