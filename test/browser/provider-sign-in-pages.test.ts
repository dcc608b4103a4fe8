/**
 * "Continue with Google" on the service's own sign-in pages (issues 25, 27, 28), in real Chromium
 * (Debian's, the one browser the run shares) with JavaScript off: the pages are plain forms. A real
 * OpenID provider on loopback (oidc-provider, real signed ID tokens) stands in for Google. A
 * Google-only player signs in to a cat through the login page (the cat's RP library, openid-client,
 * gets the ID token), a Google-only developer approves `cathouse login` at /device, an account
 * with an authenticator app gets the second factor after the provider (on both pages), a player who
 * cancels at the provider is back on /device with the refusal and can try again, and an altered or
 * replayed callback ends on a page that says so. Screenshots in test-artifacts/browser.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type * as OpenIdClient from 'openid-client' with { 'resolution-mode': 'import' };
import request from 'supertest';
import { resolveAccount } from '../../src/auth/federation/account-linking';
import { bearer, registerDeveloper, uniqueEmail } from '../auth/helpers';
import { createCat, install } from '../auth/installations';
import { totpCode } from '../factors/support';
import { throughProvider, useRedirectTestbed } from '../federation/redirect-support';
import { metricValue } from '../federation/support';
import { PASSWORD } from '../oidc/support';
import { spawnInRepo, type Spawned } from '../support/processes';
import { launchChromium, screenshot } from './support/chromium';

const clock = { now: Date.UTC(2026, 0, 1) };
const bed = useRedirectTestbed({ DEVICE_POLL_INTERVAL_SECONDS: '1' }, { providerName: 'google', oidcIssuer: true, factorClock: () => clock.now });

let browser: Browser;
let oidc: typeof OpenIdClient;
let config: OpenIdClient.Configuration;
let catId: string;
let context: BrowserContext | undefined;
const catCallback = () => `${bed.origin}/frontend/other`;

beforeAll(async () => {
  oidc = await import('openid-client');
  browser = await launchChromium();
  const dev = await registerDeveloper(bed.app, uniqueEmail('studio'), PASSWORD, { display_name: 'Whiskers Studio' });
  catId = await createCat(bed.app.dataSource, dev.user.id);
  // The cat's redirect_uri: the testbed's second page on the service's origin (it only has to load).
  const registered = await request(bed.app.app).post('/api/v1/auth/oidc/clients').set(bearer(dev.access_token)).send({ cat_id: catId, client_name: 'Purr Web', redirect_uris: [catCallback()] });
  expect(registered.status).toBe(201);
  const { client_id, client_secret } = registered.body as { client_id: string; client_secret: string };
  config = await oidc.discovery(new URL(`${bed.origin}/oidc`), client_id, client_secret, oidc.ClientSecretBasic(client_secret), { execute: [oidc.allowInsecureRequests] });
});
afterAll(async () => {
  await browser?.close();
});
afterEach(async () => {
  await context?.close();
  context = undefined;
});

/** A player who only ever signed in with the provider (`login` there): made the way a first provider sign-in makes one. */
async function providerOnlyAccount(login: string): Promise<string> {
  const identity = { provider: 'google', subject: login, email: `${login}@players.example`, isPrivateEmail: false, name: `Player ${login}` };
  const { user } = await bed.app.dataSource.transaction((m) => resolveAccount(m, identity, identity.name, { ip: '127.0.0.1', userAgent: 'test' }));
  const [row] = await bed.app.dataSource.query(`SELECT password_hash FROM auth.users WHERE id = $1`, [user.id]);
  expect(row.password_hash).toBeNull();
  return user.id;
}

/** A player who signed up with Google on the frontend (the JSON redirect flow) and added an authenticator app: their id and its secret. */
async function providerAccountWithAuthenticator(login: string): Promise<{ userId: string; secret: string }> {
  const front = await (await browser.newContext()).newPage();
  await front.goto(`${bed.origin}/api/v1/auth/redirect/google?return_to=${encodeURIComponent(bed.frontend)}`);
  await throughProvider(front, bed.provider.issuer, bed.origin, login);
  await front.waitForSelector('body[data-done=true]', { state: 'attached' });
  const signedUp = JSON.parse((await front.getAttribute('body', 'data-result'))!) as { access_token: string; user: { id: string } };
  await front.context().close();
  const begun = await request(bed.app.app).post('/api/v1/auth/me/totp').set(bearer(signedUp.access_token));
  expect(begun.status).toBe(201);
  const secret = begun.body.secret as string;
  expect((await request(bed.app.app).post('/api/v1/auth/me/totp/confirm').set(bearer(signedUp.access_token)).send({ code: totpCode(secret, clock.now) })).status).toBe(200);
  clock.now += 30_000;
  return { userId: signedUp.user.id, secret };
}


/** Finished redirect sign-ins through the Google stand-in, as /metrics counts them. */
const googleSignIns = () => metricValue(bed.app.app, 'auth_sign_ins_total{method="redirect",provider="google"}');
/** Password logins that succeeded: a provider's sign-in is not one of them. */
const passwordLogins = () => metricValue(bed.app.app, 'auth_login_attempts_total{outcome="succeeded"}');

/** The detail of the user's last login_succeeded on `via` (the login page or /device). */
async function lastPageSignIn(userId: string, via: 'oidc' | 'device'): Promise<unknown> {
  const rows: { detail: unknown }[] = await bed.app.dataSource.query(
    `SELECT detail FROM auth.audit_events WHERE user_id = $1 AND type = 'login_succeeded' AND detail->>'via' = $2 ORDER BY id DESC LIMIT 1`,
    [userId, via],
  );
  return rows[0]?.detail;
}

async function startAuthorization(page: Page): Promise<string> {
  const verifier = oidc.randomPKCECodeVerifier();
  const url = oidc.buildAuthorizationUrl(config, {
    redirect_uri: catCallback(),
    scope: 'openid profile cathouse:storage',
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state: 'st',
  });
  await page.goto(url.href);
  await page.getByRole('heading', { name: 'Sign in with Cat House' }).waitFor();
  return verifier;
}

/** The cat's callback page reached: openid-client redeems the code and validates the ID token. */
async function catTokens(page: Page, verifier: string) {
  await page.waitForURL((url) => url.href.startsWith(catCallback()));
  return oidc.authorizationCodeGrant(config, new URL(page.url()), { pkceCodeVerifier: verifier, expectedState: 'st' });
}

it('a Google-only player signs in to a cat with "Continue with Google" on the login page; the ID token says amr fed', async () => {
  const userId = await providerOnlyAccount('gia');
  await install(bed.app.dataSource, userId, catId, { asked: ['storage'], granted: ['storage'] });
  context = await browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  const seen: string[] = [];
  page.on('request', (r) => void seen.push(r.url()));
  const verifier = await startAuthorization(page);
  await screenshot(page, 'oidc-login-with-providers');
  const signInsBefore = await googleSignIns();
  const passwordLoginsBefore = await passwordLogins();
  await page.getByRole('button', { name: 'Continue with Google' }).click();
  await throughProvider(page, bed.provider.issuer, bed.origin, 'gia');
  await page.locator('#consent-form').waitFor();
  expect(await googleSignIns()).toBe(signInsBefore + 1);
  expect(await passwordLogins()).toBe(passwordLoginsBefore);
  await page.getByRole('button', { name: 'Allow' }).click();
  const tokens = await catTokens(page, verifier);
  const claims = tokens.claims()!;
  expect(claims.sub).toBe(userId);
  expect(claims.amr).toEqual(['fed']);

  // The provider's part ran the one redirect flow: PKCE S256, state and nonce on the way out.
  const authorize = new URL(seen.find((u) => u.startsWith(`${bed.provider.issuer}/auth`))!);
  expect(authorize.searchParams.get('code_challenge_method')).toBe('S256');
  expect(authorize.searchParams.get('state')).toEqual(expect.any(String));
  expect(authorize.searchParams.get('nonce')).toEqual(expect.any(String));
  const events = await bed.app.dataSource.query(`SELECT detail FROM auth.audit_events WHERE user_id = $1 AND type = 'login_succeeded'`, [userId]);
  expect(events).toEqual([{ detail: { via: 'oidc', amr: ['fed'], method: 'redirect', provider: 'google' } }]);

  // Replays: the provider's callback (its state cookie is gone) and the page's return (its code spent, the interaction done).
  const callback = seen.find((u) => u.includes('/api/v1/auth/redirect/callback'))!;
  const answer = await page.goto(callback);
  expect(answer!.status()).toBe(400);
  await page.locator('#error[data-code=invalid_request]').waitFor();
  expect(await page.textContent('main')).toContain('already used');
  const back = await page.goto(seen.find((u) => u.includes('/federated?code='))!);
  expect(back!.status()).toBe(400);
  expect(await page.textContent('main')).toContain('This sign-in has expired');
});

describe('cathouse login at /device', () => {
  let configDir: string;
  beforeEach(async () => {
    configDir = await mkdtemp(path.join(tmpdir(), 'cathouse-cli-'));
  });
  afterEach(async () => {
    await rm(configDir, { recursive: true, force: true });
  });
  const cathouse = (args: string[]): Spawned =>
    spawnInRepo(process.execPath, ['packages/cli/bin/cathouse.js', ...args], { CATHOUSE_CONFIG_DIR: configDir, CATHOUSE_SERVER: bed.origin });

  it('a Google-only developer approves the CLI with "Continue with Google" and the CLI poll gets tokens (amr fed)', async () => {
    const userId = await providerOnlyAccount('dana');
    await bed.app.dataSource.query(`UPDATE auth.users SET role = 'developer' WHERE id = $1`, [userId]);
    const cli = cathouse(['login']);
    await cli.waitForOutput(/shows the code [A-Z]{4}-[A-Z]{4}/, 30_000);
    const url = /open (\S+)/.exec(cli.output())![1]!;

    context = await browser.newContext({ javaScriptEnabled: false });
    const page = await context.newPage();
    await page.goto(url);
    await page.getByRole('button', { name: 'Continue', exact: true }).click();
    await page.getByRole('heading', { name: 'Sign in to connect a device' }).waitFor();
    await screenshot(page, 'device-sign-in-with-providers');
    await page.getByRole('button', { name: 'Continue with Google' }).click();
    await throughProvider(page, bed.provider.issuer, bed.origin, 'dana');
    await page.getByRole('heading', { name: 'Allow this device?' }).waitFor();
    expect(await page.textContent('#who')).toBe('dana@players.example');
    await page.getByRole('button', { name: 'Allow' }).click();
    await page.locator('#done[data-decision=approve]').waitFor();

    expect(await cli.exited).toBe(0);
    expect(cli.output()).toContain(`as dana@players.example (developer)`);
    const stored = JSON.parse(await readFile(path.join(configDir, 'credentials.json'), 'utf8')) as { access_token: string };
    const claims = JSON.parse(Buffer.from(stored.access_token.split('.')[1]!, 'base64url').toString()) as { sub: string; amr: string[] };
    expect(claims).toEqual(expect.objectContaining({ sub: userId, amr: ['fed'] }));
    const events = await bed.app.dataSource.query(`SELECT detail FROM auth.audit_events WHERE user_id = $1 AND type = 'login_succeeded'`, [userId]);
    expect(events).toEqual([{ detail: { via: 'device', amr: ['fed'], method: 'redirect', provider: 'google' } }]);
  });

  it('cancelling at the provider comes back to /device with the refusal; trying again signs up a new player, who allows the device', async () => {
    const cli = cathouse(['login']);
    await cli.waitForOutput(/shows the code [A-Z]{4}-[A-Z]{4}/, 30_000);
    context = await browser.newContext({ javaScriptEnabled: false });
    const page = await context.newPage();
    await page.goto(/open (\S+)/.exec(cli.output())![1]!);
    await page.getByRole('button', { name: 'Continue', exact: true }).click();
    await page.getByRole('button', { name: 'Continue with Google' }).click();
    await page.waitForURL((url) => url.origin === bed.provider.issuer);
    await page.click('a:has-text("Cancel")');
    await page.waitForURL((url) => url.origin === bed.origin);
    await page.locator('#error[data-code=access_denied]').waitFor();
    await page.getByRole('heading', { name: 'Sign in to connect a device' }).waitFor();
    await screenshot(page, 'device-provider-cancelled');
    await page.getByRole('button', { name: 'Continue with Google' }).click();
    await throughProvider(page, bed.provider.issuer, bed.origin, 'cara');
    await page.getByRole('button', { name: 'Allow' }).click();
    await page.locator('#done[data-decision=approve]').waitFor();
    expect(await cli.exited).toBe(0);
    expect(cli.output()).toContain('as cara@players.example (player)');
    const [created] = await bed.app.dataSource.query(`SELECT u.password_hash, i.provider FROM auth.users u JOIN auth.identities i ON i.user_id = u.id WHERE u.email = 'cara@players.example'`);
    expect(created).toEqual({ password_hash: null, provider: 'google' });
  });

  it('a Google account with an authenticator app answers the second factor on /device after the provider', async () => {
    const { userId, secret } = await providerAccountWithAuthenticator('vera');
    const cli = cathouse(['login']);
    await cli.waitForOutput(/shows the code [A-Z]{4}-[A-Z]{4}/, 30_000);
    context = await browser.newContext({ javaScriptEnabled: false });
    const page = await context.newPage();
    await page.goto(/open (\S+)/.exec(cli.output())![1]!);
    await page.getByRole('button', { name: 'Continue', exact: true }).click();
    const signInsBefore = await googleSignIns();
    const passwordLoginsBefore = await passwordLogins();
    await page.getByRole('button', { name: 'Continue with Google' }).click();
    await throughProvider(page, bed.provider.issuer, bed.origin, 'vera');
    await page.getByRole('heading', { name: 'Second factor' }).waitFor();
    await screenshot(page, 'device-provider-then-second-factor');
    // The provider alone did not sign this account in: nothing counted yet.
    expect(await googleSignIns()).toBe(signInsBefore);
    await page.getByLabel('Code').fill(totpCode(secret, clock.now));
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByRole('heading', { name: 'Allow this device?' }).waitFor();
    // Finished: counted once, and audited with the provider as without a second factor.
    expect(await googleSignIns()).toBe(signInsBefore + 1);
    expect(await passwordLogins()).toBe(passwordLoginsBefore);
    expect(await lastPageSignIn(userId, 'device')).toEqual({ via: 'device', amr: ['fed', 'otp', 'mfa'], method: 'redirect', provider: 'google' });
    await page.getByRole('button', { name: 'Allow' }).click();
    await page.locator('#done[data-decision=approve]').waitFor();
    expect(await cli.exited).toBe(0);
    const stored = JSON.parse(await readFile(path.join(configDir, 'credentials.json'), 'utf8')) as { access_token: string };
    const claims = JSON.parse(Buffer.from(stored.access_token.split('.')[1]!, 'base64url').toString()) as { sub: string; amr: string[]; acr: string };
    expect(claims.sub).toBe(userId);
    // The provider and the authenticator app are two factors, as a password and the app are (issue 26).
    expect(claims).toMatchObject({ amr: ['fed', 'otp', 'mfa'], acr: 'urn:cathouse:acr:mfa' });
  });
});

it('a Google account with an authenticator app gets the second factor after the provider, on the login page as after a password', async () => {
  const { userId, secret } = await providerAccountWithAuthenticator('tess');
  await install(bed.app.dataSource, userId, catId, { asked: ['storage'], granted: ['storage'] });

  context = await browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  const verifier = await startAuthorization(page);
  const signInsBefore = await googleSignIns();
  await page.getByRole('button', { name: 'Continue with Google' }).click();
  await throughProvider(page, bed.provider.issuer, bed.origin, 'tess');
  await page.getByRole('heading', { name: 'Second factor' }).waitFor();
  await screenshot(page, 'oidc-provider-then-second-factor');
  await page.getByLabel('Code').fill(totpCode(secret, clock.now + 20 * 30_000));
  await page.getByRole('button', { name: 'Continue' }).click();
  await page.locator('#error[data-code=invalid_credentials]').waitFor();
  // Neither the provider alone nor a wrong code signed this account in: nothing counted yet.
  expect(await googleSignIns()).toBe(signInsBefore);
  await page.getByLabel('Code').fill(totpCode(secret, clock.now));
  await page.getByRole('button', { name: 'Continue' }).click();
  await page.locator('#consent-form').waitFor();
  expect(await googleSignIns()).toBe(signInsBefore + 1);
  expect(await lastPageSignIn(userId, 'oidc')).toEqual({ via: 'oidc', amr: ['fed', 'otp', 'mfa'], method: 'redirect', provider: 'google' });
  await page.getByRole('button', { name: 'Allow' }).click();
  const claims = (await catTokens(page, verifier)).claims()!;
  expect(claims.sub).toBe(userId);
  expect(claims).toMatchObject({ amr: ['fed', 'otp', 'mfa'], acr: 'urn:cathouse:acr:mfa' });
});

it('an altered state comes back to the login page with the refusal, a replayed callback ends on a clear page, and nobody is signed in', async () => {
  context = await browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  await startAuthorization(page);
  const seen: string[] = [];
  page.on('request', (r) => void seen.push(r.url()));
  await page.getByRole('button', { name: 'Continue with Google' }).click();
  await page.waitForURL((url) => url.origin === bed.provider.issuer);
  // The browser is sent to the provider again with another state: the provider hands that state to our callback.
  const authorize = new URL(seen.find((u) => u.startsWith(`${bed.provider.issuer}/auth?`))!);
  authorize.searchParams.set('state', `${authorize.searchParams.get('state')}x`);
  await page.goto(authorize.href);
  await throughProvider(page, bed.provider.issuer, bed.origin, 'tom');
  const callbacks = seen.filter((u) => u.startsWith(`${bed.origin}/api/v1/auth/redirect/callback`));
  expect(callbacks).toHaveLength(1);
  expect(new URL(callbacks[0]!).searchParams.get('state')).toMatch(/x$/);
  expect(new URL(page.url()).pathname).toMatch(/^\/oidc\/interaction\/[^/]+\/federated$/);
  await page.locator('#error[data-code=invalid_request]').waitFor();
  await page.getByRole('button', { name: 'Continue with Google' }).waitFor();
  await screenshot(page, 'oidc-provider-state-altered');

  // That callback spent the state cookie: replayed, it is refused on a page that says so.
  const replayed = await page.goto(callbacks[0]!);
  expect(replayed!.status()).toBe(400);
  expect(await page.textContent('main')).toContain('Cannot continue');
  await page.locator('#error[data-code=invalid_request]').waitFor();
  expect(await bed.app.dataSource.query(`SELECT id FROM auth.users WHERE email = 'tom@players.example'`)).toEqual([]);
});

it('a return to an interaction that does not exist (expired, or another browser) is a clear page, not a 500', async () => {
  context = await browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  const answer = await page.goto(`${bed.origin}/oidc/interaction/no-such-interaction/federated?code=abc`);
  expect(answer!.status()).toBe(400);
  await page.locator('#error[data-code=session_not_found]').waitFor();
  expect(await page.textContent('main')).toContain('This sign-in has expired');
});
