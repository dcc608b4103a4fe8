/**
 * Passkeys on the OpenID provider's login page (issue 26 on issue 27's pages), in real Chromium
 * with the DevTools virtual authenticator: a player signs in with the passkey alone (no email) and
 * the cat's openid-client gets an ID token saying hwk + mfa; a player answers the second-factor
 * step with the passkey; an assertion for another challenge is refused on the page and nobody is
 * signed in. Without JavaScript the passkey's button stays hidden. Screenshots in test-artifacts/browser.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type * as OpenIdClient from 'openid-client' with { 'resolution-mode': 'import' };
import request from 'supertest';
import type { DataSource } from 'typeorm';
import { createRuntimeDataSource } from '../../src/db/runtime-data-source';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { testConfig } from '../support/env';
import { catWithPlayer, PASSWORD, registerClient } from '../oidc/support';
import { launchChromium, screenshot } from './support/chromium';
import { registerPasskey, startPasskeyStack, tabWithAuthenticator, type PasskeyStack } from './support/passkey-pages';

const REDIRECT = 'https://cat.example/callback';
let browser: Browser;
let db: TestDatabase;
let stack: PasskeyStack;
let fixtures: DataSource;
let oidc: typeof OpenIdClient;
let context: BrowserContext | undefined;

beforeAll(async () => {
  oidc = await import('openid-client');
  browser = await launchChromium();
  db = await createTestDatabase();
  fixtures = createRuntimeDataSource(db.url, testConfig().db);
  await fixtures.initialize();
  stack = await startPasskeyStack(db.url);
});
afterAll(async () => {
  await browser?.close();
  await stack?.close();
  await fixtures?.destroy();
  await db?.drop();
});
afterEach(async () => {
  await context?.close();
  context = undefined;
});

/** A player of a cat with a client, a tab whose authenticator holds the player's passkey, and the cat's openid-client configuration. */
async function playerWithPasskey() {
  const f = await catWithPlayer(stack, fixtures);
  const tab = await tabWithAuthenticator(browser, stack.url);
  context = tab.context;
  await registerPasskey(stack.t, tab.page, f.player.token);
  const client = await registerClient(stack, f.developer.token, { cat_id: f.catId, client_name: 'Purr Web', redirect_uris: [REDIRECT] });
  const config = await oidc.discovery(new URL(stack.issuer), client.client_id, client.client_secret, oidc.ClientSecretBasic(client.client_secret!), { execute: [oidc.allowInsecureRequests] });
  return { f, page: tab.page, config };
}

/** Opens the authorization URL in `page`; the callback is caught where the cat's site would be. */
async function startAuthorization(page: Page, config: OpenIdClient.Configuration) {
  const verifier = oidc.randomPKCECodeVerifier();
  const url = oidc.buildAuthorizationUrl(config, {
    redirect_uri: REDIRECT,
    scope: 'openid profile',
    prompt: 'consent',
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state: 'st',
  });
  let callback: string | undefined;
  await page.route('https://cat.example/**', (route) => {
    callback = route.request().url();
    return route.fulfill({ status: 200, contentType: 'text/html', body: '<!doctype html><h1 id="result">back at the cat</h1>' });
  });
  await page.goto(url.href);
  await page.getByRole('heading', { name: 'Sign in with Cat House' }).waitFor();
  return { verifier, callback: () => callback };
}

const loginEvents = (userId: string) =>
  fixtures.query(`SELECT type, detail FROM auth.audit_events WHERE user_id = $1 AND type IN ('login_succeeded', 'login_failed') ORDER BY id`, [userId]);

it('a player signs in with the passkey alone (no email typed); the ID token says hwk + mfa', async () => {
  const { f, page, config } = await playerWithPasskey();
  const { verifier, callback } = await startAuthorization(page, config);
  // The button shows once its script has run (the screenshot would race it).
  await page.getByRole('button', { name: 'Sign in with a passkey' }).waitFor();
  await screenshot(page, 'oidc-login-passkey');
  await page.getByRole('button', { name: 'Sign in with a passkey' }).click();
  await page.getByRole('button', { name: 'Allow' }).click();
  await page.locator('#result').waitFor();
  const tokens = await oidc.authorizationCodeGrant(config, new URL(callback()!), { pkceCodeVerifier: verifier, expectedState: 'st' });
  const claims = tokens.claims()!;
  expect(claims.sub).toBe(f.player.id);
  expect(claims.amr).toEqual(['hwk', 'mfa']);
  expect(claims.acr).toBe('urn:cathouse:acr:mfa');
  expect(await loginEvents(f.player.id)).toEqual([{ type: 'login_succeeded', detail: { via: 'oidc', amr: ['hwk', 'mfa'] } }]);
});

it('after the password, the second-factor step takes the passkey; the ID token says pwd + hwk + mfa', async () => {
  const { f, page, config } = await playerWithPasskey();
  const { verifier, callback } = await startAuthorization(page, config);
  await page.getByLabel('Email').fill(f.player.email);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await page.getByRole('heading', { name: 'Second factor' }).waitFor();
  // The button shows once its script has run (the screenshot would race it).
  await page.getByRole('button', { name: 'Use a passkey' }).waitFor();
  await screenshot(page, 'oidc-second-factor-passkey');
  await page.getByRole('button', { name: 'Use a passkey' }).click();
  await page.getByRole('button', { name: 'Allow' }).click();
  await page.locator('#result').waitFor();
  const tokens = await oidc.authorizationCodeGrant(config, new URL(callback()!), { pkceCodeVerifier: verifier, expectedState: 'st' });
  expect(tokens.claims()!.amr).toEqual(['pwd', 'hwk', 'mfa']);
});

it('an assertion for another challenge (the JSON API\'s) is refused on the page, and nobody is signed in', async () => {
  const { f, page, config } = await playerWithPasskey();
  await startAuthorization(page, config);
  // The page's options swapped for the JSON API's (a challenge bound to no interaction): the
  // browser signs it, the page's check refuses it.
  const foreign = await request(stack.t.app).post('/api/v1/auth/passkeys/sign-in/options');
  await page.locator('.passkey').evaluate((box, options) => (box as unknown as { setAttribute(n: string, v: string): void }).setAttribute('data-options', JSON.stringify(options)), foreign.body);
  await page.getByRole('button', { name: 'Sign in with a passkey' }).click();
  await page.locator('#error[data-code=invalid_credentials]').waitFor();
  expect(await page.textContent('#error')).toContain('its challenge was not made for this sign-in');
  await screenshot(page, 'oidc-login-passkey-refused');
  await page.getByRole('heading', { name: 'Sign in with Cat House' }).waitFor();
  expect(await loginEvents(f.player.id)).toEqual([{ type: 'login_failed', detail: { reason: 'passkey_refused' } }]);
  const sessions = await fixtures.query(`SELECT count(*)::int AS n FROM auth.oidc_models WHERE model = 'Session' AND payload->>'accountId' = $1`, [f.player.id]);
  expect(sessions[0].n).toBe(0);
});

it('without JavaScript the passkey button stays hidden and a note says why; the password form still works', async () => {
  const { page: unused, config } = await playerWithPasskey();
  await unused.close();
  const noScript = await browser.newContext({ javaScriptEnabled: false });
  try {
    const page = await noScript.newPage();
    await startAuthorization(page, config);
    expect(await page.getByRole('button', { name: 'Sign in with a passkey' }).count()).toBe(0);
    expect(await page.textContent('main')).toContain('Signing in with a passkey needs JavaScript');
    expect(await page.getByRole('button', { name: 'Sign in', exact: true }).isVisible()).toBe(true);
  } finally {
    await noScript.close();
  }
});
