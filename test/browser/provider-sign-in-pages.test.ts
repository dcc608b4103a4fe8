/**
 * "Continue with Google" on the service's own sign-in pages (issues 25, 27, 28), in real Chromium
 * (Debian's, the one browser the run shares) with JavaScript off: the pages are plain forms. A real
 * OpenID provider on loopback (oidc-provider, real signed ID tokens) stands in for Google. A
 * Google-only player signs in to a cat through the login page (the cat's RP library, openid-client,
 * gets the ID token), a Google-only developer approves `cathouse login` at /device, an account
 * with an authenticator app gets the second factor after the provider, and an altered or replayed
 * callback ends on a page that says so. Screenshots in test-artifacts/browser.
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
import { useRedirectTestbed } from '../federation/redirect-support';
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

/** On the provider (the Google stand-in): its login form (any password), its consent, and back to the service. */
async function throughProvider(page: Page, login: string): Promise<void> {
  await page.waitForURL((url) => url.origin === bed.provider.issuer);
  await page.fill('input[name=login]', login);
  await page.fill('input[name=password]', 'any');
  await page.click('button[type=submit]');
  for (let i = 0; i < 5 && new URL(page.url()).origin === bed.provider.issuer; i++) {
    await page.waitForLoadState();
    if (new URL(page.url()).origin !== bed.provider.issuer) break;
    await page.click('button[type=submit]');
    await page.waitForURL((url) => url.origin !== bed.provider.issuer || !url.pathname.includes('/interaction/'), { timeout: 10_000 }).catch(() => undefined);
  }
  await page.waitForURL((url) => url.origin === bed.origin);
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
  await page.getByRole('button', { name: 'Continue with Google' }).click();
  await throughProvider(page, 'gia');
  await page.locator('#consent-form').waitFor();
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
