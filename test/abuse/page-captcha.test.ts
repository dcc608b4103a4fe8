import type * as OpenIdClient from 'openid-client' with { 'resolution-mode': 'import' };
import request from 'supertest';
import type { DataSource } from 'typeorm';
import { createRuntimeDataSource } from '../../src/db/runtime-data-source';
import { uniqueEmail } from '../auth/helpers';
import { DevicePageAgent } from '../developer-credentials/support';
import { catWithPlayer, PASSWORD, PlayerAgent, registerClient, startOidcStack, type OidcStack } from '../oidc/support';
import { startSiteverifyServer, startStallingServer, type LocalServer } from '../support/abuse-servers';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { testConfig } from '../support/env';

/**
 * Issue 30's login CAPTCHA on the service's own sign-in pages: the OpenID provider's login page and
 * /device check the password through the same AuthService.checkSignInPassword as POST /login, so
 * after CAPTCHA_LOGIN_AFTER_FAILURES wrong passwords a client must solve the widget there too,
 * against the local server speaking Turnstile's siteverify.
 */
const SECRET = '0x4AAAAAAApagesecret';
const SITE_KEY = '0x4AAAAAAApagesitekey';
const HOST = 'login.cathouse.example';
const REDIRECT = 'https://cat.example/callback';

let db: TestDatabase;
let siteverify: LocalServer & { issue(t: { hostname: string; action?: string }): string };
let stack: OidcStack;
let fixtures: DataSource;
let oidc: typeof OpenIdClient;

beforeAll(async () => {
  oidc = await import('openid-client');
  db = await createTestDatabase();
  fixtures = createRuntimeDataSource(db.url, testConfig().db);
  await fixtures.initialize();
  siteverify = await startSiteverifyServer(SECRET);
  stack = await startOidcStack(db.url, {
    CAPTCHA_PROVIDER: 'turnstile',
    CAPTCHA_SECRET: SECRET,
    CAPTCHA_SITE_KEY: SITE_KEY,
    CAPTCHA_VERIFY_URL: siteverify.url,
    CAPTCHA_HOSTNAMES: HOST,
    CAPTCHA_REQUIRED_FOR: 'login',
    CAPTCHA_LOGIN_AFTER_FAILURES: '2',
  });
});
afterAll(async () => {
  await stack?.close();
  await fixtures?.destroy();
  await siteverify?.close();
  await db?.drop();
});

/** A player of a cat with a client, and a browser on the provider's login page for that client. */
async function onLoginPage(on: OidcStack = stack) {
  const f = await catWithPlayer(on, fixtures);
  const registered = await registerClient(on, f.developer.token, { cat_id: f.catId, client_name: 'Purr Web', redirect_uris: [REDIRECT] });
  const config = await oidc.discovery(new URL(on.issuer), registered.client_id, registered.client_secret, oidc.ClientSecretBasic(registered.client_secret!), {
    execute: [oidc.allowInsecureRequests],
  });
  const url = oidc.buildAuthorizationUrl(config, {
    redirect_uri: REDIRECT,
    scope: 'openid',
    code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()),
    code_challenge_method: 'S256',
    state: oidc.randomState(),
  });
  const agent = new PlayerAgent(on.url);
  await agent.follow(url.href);
  return { f, agent };
}

/** Posts the login page's password form as a browser would, with the widget's token field when given; the answer's status, CSP and page. */
async function postPassword(agent: PlayerAgent, email: string, password: string, extra: Record<string, string> = {}) {
  const { action, fields } = agent.form('password-form');
  const res = await agent.send(action, { form: { ...fields, email, password, ...extra } });
  const page = res.status >= 300 && res.status < 400 ? '' : await res.text();
  if (page) agent.lastPage = page;
  return { status: res.status, csp: res.headers.get('content-security-policy') ?? '', page, code: /id="error" data-code="([^"]+)"/.exec(page)?.[1] };
}

const pageSignIns = async (userId: string) =>
  Number(((await fixtures.query(`SELECT count(*)::int AS n FROM auth.audit_events WHERE user_id = $1 AND type = 'login_succeeded' AND detail->>'via' = 'oidc'`, [userId])) as { n: number }[])[0]!.n);

describe('the OpenID provider\'s login page', () => {
  it('after the suspicious-failure threshold demands the CAPTCHA: refused without a token or with one for another action, signed in with a login token', async () => {
    const { f, agent } = await onLoginPage();
    // Nothing suspicious yet: no widget, no provider script.
    expect(agent.lastPage).toContain('id="password-form"');
    expect(agent.lastPage).not.toContain('cf-turnstile');
    expect(agent.lastPage).not.toContain('<script src=');
    const first = await postPassword(agent, f.player.email, 'wrong password 1');
    expect(first.code).toBe('invalid_credentials');
    expect(first.page).not.toContain('cf-turnstile');
    const second = await postPassword(agent, f.player.email, 'wrong password 2');
    expect(second.code).toBe('invalid_credentials');
    // The next try from this client will need the widget: the page shows it at once, and its CSP lets in Turnstile only.
    expect(second.page).toContain(`<div class="cf-turnstile" id="captcha" data-sitekey="${SITE_KEY}" data-action="login"></div>`);
    expect(second.page).toContain('<script src="https://challenges.cloudflare.com/turnstile/v0/api.js" async defer></script>');
    expect(second.csp).toContain('script-src https://challenges.cloudflare.com');
    expect(second.csp).toContain('frame-src https://challenges.cloudflare.com');

    const without = await postPassword(agent, f.player.email, PASSWORD);
    expect(without.status).toBe(400);
    expect(without.code).toBe('captcha_required');
    expect(without.page).toContain('complete the check');
    expect(without.page).toContain('class="cf-turnstile"');

    const otherAction = await postPassword(agent, f.player.email, PASSWORD, { 'cf-turnstile-response': siteverify.issue({ hostname: HOST, action: 'register' }) });
    expect(otherAction.status).toBe(400);
    expect(otherAction.code).toBe('captcha_failed');
    const otherHost = await postPassword(agent, f.player.email, PASSWORD, { 'cf-turnstile-response': siteverify.issue({ hostname: 'evil.example', action: 'login' }) });
    expect(otherHost.code).toBe('captcha_failed');
    expect(await pageSignIns(f.player.id)).toBe(0);

    const token = siteverify.issue({ hostname: HOST, action: 'login' });
    const solved = await postPassword(agent, f.player.email, PASSWORD, { 'cf-turnstile-response': token });
    expect(solved.status).toBe(303);
    expect(await pageSignIns(f.player.id)).toBe(1);
    // siteverify saw the token once, with the secret.
    const sent = siteverify.requests.map((r) => new URLSearchParams(r.body)).filter((form) => form.get('response') === token);
    expect(sent.map((form) => form.get('secret'))).toEqual([SECRET]);
  });

  it('a spent token does not pass a second time', async () => {
    const { f, agent } = await onLoginPage();
    for (const wrong of ['wrong password 1', 'wrong password 2']) await postPassword(agent, f.player.email, wrong);
    const token = siteverify.issue({ hostname: HOST, action: 'login' });
    // Spent on a wrong password: the check passed, the password did not.
    expect((await postPassword(agent, f.player.email, 'wrong password 3', { 'cf-turnstile-response': token })).code).toBe('invalid_credentials');
    const replay = await postPassword(agent, f.player.email, PASSWORD, { 'cf-turnstile-response': token });
    expect(replay.code).toBe('captcha_failed');
    expect(await pageSignIns(f.player.id)).toBe(0);
  });
});

describe('the /device page (the same password method)', () => {
  it('after the threshold refuses a sign-in without a token or with one for another action, and signs in with a login token', async () => {
    const device = await request(stack.t.app).post('/api/v1/auth/device_authorization').type('form').send({ client_id: 'cathouse-cli' });
    expect(device.status).toBe(200);
    const userCode = device.body.user_code as string;
    const email = uniqueEmail('device');
    const player = await request(stack.t.app).post('/api/v1/auth/register').send({ email, password: PASSWORD });
    expect(player.status).toBe(201);
    const agent = new DevicePageAgent(stack.url);
    await agent.get(`/device?user_code=${encodeURIComponent(userCode)}`);
    await agent.submit('/device', { user_code: userCode });
    const signIn = (password: string, extra: Record<string, string> = {}) => agent.submit('/device/sign-in/password', { user_code: userCode, email, password, ...extra });
    expect(agent.page).toContain('id="password-form"');
    expect(agent.page).not.toContain('<script src=');
    expect(agent.csp).not.toContain('challenges.cloudflare.com');
    await signIn('wrong password 1');
    expect(agent.page).not.toContain('cf-turnstile');
    await signIn('wrong password 2');
    expect(agent.errorCode()).toBe('invalid_credentials');
    // The next try will need the widget: the page shows it, and only this page's CSP lets Turnstile in.
    const widget = `<div class="cf-turnstile" id="captcha" data-sitekey="${SITE_KEY}" data-action="login"></div>`;
    expect(agent.page).toContain(widget);
    expect(agent.page).toContain('<script src="https://challenges.cloudflare.com/turnstile/v0/api.js" async defer></script>');
    expect(agent.csp).toContain('script-src https://challenges.cloudflare.com');
    expect(agent.csp).toContain('frame-src https://challenges.cloudflare.com');

    await signIn(PASSWORD);
    expect(agent.status).toBe(400);
    expect(agent.errorCode()).toBe('captcha_required');
    expect(agent.page).toContain(widget);
    await signIn(PASSWORD, { 'cf-turnstile-response': siteverify.issue({ hostname: HOST, action: 'forgot_password' }) });
    expect(agent.errorCode()).toBe('captcha_failed');
    expect(agent.page).not.toContain('id="decision-form"');

    await signIn(PASSWORD, { 'cf-turnstile-response': siteverify.issue({ hostname: HOST, action: 'login' }) });
    expect(agent.status).toBe(200);
    expect(agent.page).toContain('id="decision-form"');
  });
});

describe('the login page when siteverify does not answer (fail-closed)', () => {
  let stalling: LocalServer;
  let stalled: OidcStack;
  beforeAll(async () => {
    stalling = await startStallingServer();
    stalled = await startOidcStack(db.url, {
      CAPTCHA_PROVIDER: 'hcaptcha',
      CAPTCHA_SECRET: SECRET,
      CAPTCHA_SITE_KEY: '10000000-ffff-ffff-ffff-000000000001',
      CAPTCHA_VERIFY_URL: stalling.url,
      CAPTCHA_REQUIRED_FOR: 'login',
      CAPTCHA_LOGIN_AFTER_FAILURES: '0',
      CAPTCHA_TIMEOUT_MS: '300',
    });
  });
  afterAll(async () => {
    await stalled?.close();
    await stalling?.close();
  });

  it('shows hCaptcha on a fresh page (every sign-in asks) and answers 503 captcha_unavailable on the page, not a server error', async () => {
    const { f, agent } = await onLoginPage(stalled);
    expect(agent.lastPage).toContain('<div class="h-captcha" id="captcha" data-sitekey="10000000-ffff-ffff-ffff-000000000001"></div>');
    const res = await postPassword(agent, f.player.email, PASSWORD, { 'h-captcha-response': 'P1_token' });
    expect(res.status).toBe(503);
    expect(res.code).toBe('captcha_unavailable');
    expect(res.csp).toContain('frame-src https://hcaptcha.com https://*.hcaptcha.com');
  });
});
