/**
 * The OpenID provider's login and consent pages in real Chromium (Debian's, through playwright-core),
 * with screenshots in test-artifacts/browser: sign-in with a wrong then a right password, partial
 * consent, refusal, and consent asked again after the player disconnected the app. JavaScript is
 * off in the sign-in context: the pages are plain forms.
 */
import { createServer, type Server } from 'node:http';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type * as OpenIdClient from 'openid-client' with { 'resolution-mode': 'import' };
import request from 'supertest';
import type { DataSource } from 'typeorm';
import { createRuntimeDataSource } from '../../src/db/runtime-data-source';
import { bearer } from '../auth/helpers';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { testConfig } from '../support/env';
import { findFreePort } from '../support/ports';
import { catWithPlayer, PASSWORD, registerClient, startOidcStack, type CatFixture, type OidcStack } from '../oidc/support';
import { launchChromium, screenshot } from './support/chromium';

let browser: Browser;
let db: TestDatabase;
let stack: OidcStack;
let fixtures: DataSource;
let oidc: typeof OpenIdClient;
let catSite: Server;
let redirectUri: string;
let f: CatFixture;
let config: OpenIdClient.Configuration;

beforeAll(async () => {
  oidc = await import('openid-client');
  browser = await launchChromium();
  db = await createTestDatabase();
  fixtures = createRuntimeDataSource(db.url, testConfig().db);
  await fixtures.initialize();
  stack = await startOidcStack(db.url);
  // The cat's web page: its callback shows what came back.
  const port = await findFreePort();
  redirectUri = `http://127.0.0.1:${port}/callback`;
  catSite = createServer((req, res) => {
    const url = new URL(req.url ?? '/', redirectUri);
    res.setHeader('content-type', 'text/html; charset=utf-8');
    const error = url.searchParams.get('error');
    res.end(`<!doctype html><title>Purr</title><h1 id="result">${error ? `Purr: not connected (${error})` : 'Purr: connected'}</h1>`);
  }).listen(port, '127.0.0.1');
  f = await catWithPlayer(stack, fixtures, { asked: ['storage', 'notification'], granted: ['storage', 'notification'] });
  await fixtures.query(`UPDATE catalog.permissions SET description = 'Keeps your streak between sessions' WHERE cat_id = $1 AND permission_type = 'storage'`, [f.catId]);
  await fixtures.query(`UPDATE catalog.permissions SET description = 'Reminds you to feed the cat' WHERE cat_id = $1 AND permission_type = 'notification'`, [f.catId]);
  const client = await registerClient(stack, f.developer.token, { cat_id: f.catId, client_name: 'Purr Web', redirect_uris: [redirectUri] });
  config = await oidc.discovery(new URL(stack.issuer), client.client_id, client.client_secret, oidc.ClientSecretBasic(client.client_secret!), { execute: [oidc.allowInsecureRequests] });
});
afterAll(async () => {
  await browser?.close();
  await new Promise((resolve) => catSite?.close(resolve));
  await stack?.close();
  await fixtures?.destroy();
  await db?.drop();
});

let context: BrowserContext;
afterEach(async () => {
  await context?.close();
});

async function startAuthorization(page: Page) {
  const verifier = oidc.randomPKCECodeVerifier();
  const url = oidc.buildAuthorizationUrl(config, {
    redirect_uri: redirectUri,
    scope: 'openid profile offline_access cathouse:storage cathouse:notification',
    prompt: 'consent',
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state: 'st',
  });
  await page.goto(url.href);
  return verifier;
}

it('sign in (wrong password, then right), partial consent, and the cat gets only what was ticked: without JavaScript', async () => {
  context = await browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  const verifier = await startAuthorization(page);
  await page.getByRole('heading', { name: 'Sign in with Cat House' }).waitFor();
  expect(await page.textContent('main')).toContain('Purr Web (Purr)');
  await screenshot(page, 'oidc-login');

  await page.getByLabel('Email').fill(f.player.email);
  await page.getByLabel('Password').fill('not the password');
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await page.locator('#error[data-code=invalid_credentials]').waitFor();
  expect(await page.getByLabel('Email').inputValue()).toBe(f.player.email);
  await screenshot(page, 'oidc-login-wrong-password');

  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await page.locator('#consent-form').waitFor();
  const text = await page.textContent('main');
  expect(text).toContain('Purr Web wants to use your Cat House account');
  expect(text).toContain('made by Whiskers Studio');
  expect(text).toContain('Purr says: Reminds you to feed the cat');
  await screenshot(page, 'oidc-consent');

  await page.getByLabel('Send you notifications').uncheck();
  await screenshot(page, 'oidc-consent-partial');
  await page.getByRole('button', { name: 'Allow' }).click();
  await page.locator('#result').waitFor();
  expect(await page.textContent('#result')).toBe('Purr: connected');
  const tokens = await oidc.authorizationCodeGrant(config, new URL(page.url()), { pkceCodeVerifier: verifier, expectedState: 'st' });
  expect(tokens.scope?.split(' ').sort()).toEqual(['cathouse:storage', 'offline_access', 'openid', 'profile']);
  expect(await oidc.tokenIntrospection(config, tokens.access_token)).toMatchObject({ active: true, perms: ['storage'] });
});

it('refusal: Deny sends the player back to the cat with access_denied', async () => {
  context = await browser.newContext();
  const page = await context.newPage();
  await startAuthorization(page);
  await page.getByLabel('Email').fill(f.player.email);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await page.locator('#consent-form').waitFor();
  await page.getByRole('button', { name: 'Deny' }).click();
  await page.locator('#result').waitFor();
  expect(await page.textContent('#result')).toBe('Purr: not connected (access_denied)');
  await screenshot(page, 'oidc-denied-back-at-cat');
});

it('after the player disconnects the app, the next sign-in asks for consent again (no password: the provider session stays)', async () => {
  context = await browser.newContext();
  const page = await context.newPage();
  await startAuthorization(page);
  await page.getByLabel('Email').fill(f.player.email);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await page.getByRole('button', { name: 'Allow' }).click();
  await page.locator('#result').waitFor();

  const apps = await request(stack.t.app).get('/api/v1/auth/me/connected-apps').set(bearer(f.player.token));
  expect((await request(stack.t.app).delete(`/api/v1/auth/me/connected-apps/${apps.body.connected_apps[0].id}`).set(bearer(f.player.token))).status).toBe(204);

  const verifier = oidc.randomPKCECodeVerifier();
  await page.goto(oidc.buildAuthorizationUrl(config, { redirect_uri: redirectUri, scope: 'openid cathouse:storage', code_challenge: await oidc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256', state: 'st' }).href);
  await page.locator('#consent-form').waitFor();
  await screenshot(page, 'oidc-consent-after-disconnect');
  await page.getByRole('button', { name: 'Allow' }).click();
  await page.locator('#result').waitFor();
  const tokens = await oidc.authorizationCodeGrant(config, new URL(page.url()), { pkceCodeVerifier: verifier, expectedState: 'st' });
  expect(tokens.claims()!.sub).toBe(f.player.id);
});

it('a redirect_uri not registered exactly shows the error page, and never goes there', async () => {
  context = await browser.newContext();
  const page = await context.newPage();
  const url = oidc.buildAuthorizationUrl(config, { redirect_uri: `${redirectUri}/`, scope: 'openid', code_challenge: 'x'.repeat(43), code_challenge_method: 'S256', state: 'st' });
  const response = await page.goto(url.href);
  expect(response?.status()).toBe(400);
  await page.locator('#error[data-code=invalid_redirect_uri]').waitFor();
  expect(page.url().startsWith(stack.issuer)).toBe(true);
  await screenshot(page, 'oidc-error-redirect-uri');
});
