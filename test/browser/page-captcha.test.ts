/**
 * Issue 30's login CAPTCHA on the OpenID provider's login page in real Chromium: after two wrong
 * passwords the page shows Turnstile's widget, its CSP lets challenges.cloudflare.com's script run
 * (a stand-in for api.js, served by the browser's request routing since nothing here reaches
 * Cloudflare, adds the token field as the real one does), and the form posts that token, which
 * the local siteverify accepts once for action login. Screenshot in test-artifacts/browser.
 */
import type { Browser, BrowserContext } from 'playwright-core';
import type * as OpenIdClient from 'openid-client' with { 'resolution-mode': 'import' };
import type { DataSource } from 'typeorm';
import { createRuntimeDataSource } from '../../src/db/runtime-data-source';
import { startSiteverifyServer, type LocalServer } from '../support/abuse-servers';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { testConfig } from '../support/env';
import { catWithPlayer, PASSWORD, registerClient, startOidcStack, type OidcStack } from '../oidc/support';
import { launchChromium, screenshot } from './support/chromium';

const SECRET = '0x4AAAAAAAbrowsersecret';
const SITE_KEY = '0x4AAAAAAAbrowsersitekey';

let browser: Browser;
let context: BrowserContext;
let db: TestDatabase;
let fixtures: DataSource;
let siteverify: LocalServer & { issue(t: { hostname: string; action?: string }): string };
let stack: OidcStack;
let oidc: typeof OpenIdClient;

beforeAll(async () => {
  oidc = await import('openid-client');
  browser = await launchChromium();
  db = await createTestDatabase();
  fixtures = createRuntimeDataSource(db.url, testConfig().db);
  await fixtures.initialize();
  siteverify = await startSiteverifyServer(SECRET);
  stack = await startOidcStack(db.url, {
    CAPTCHA_PROVIDER: 'turnstile',
    CAPTCHA_SECRET: SECRET,
    CAPTCHA_SITE_KEY: SITE_KEY,
    CAPTCHA_VERIFY_URL: siteverify.url,
    CAPTCHA_HOSTNAMES: '127.0.0.1',
    CAPTCHA_REQUIRED_FOR: 'login',
    CAPTCHA_LOGIN_AFTER_FAILURES: '2',
  });
});
afterAll(async () => {
  await context?.close();
  await browser?.close();
  await stack?.close();
  await siteverify?.close();
  await fixtures?.destroy();
  await db?.drop();
});

it('after two wrong passwords the login page shows the widget, whose token signs the player in', async () => {
  const f = await catWithPlayer(stack, fixtures);
  const client = await registerClient(stack, f.developer.token, { cat_id: f.catId, client_name: 'Purr Web', redirect_uris: ['https://cat.example/callback'] });
  const config = await oidc.discovery(new URL(stack.issuer), client.client_id, client.client_secret, oidc.ClientSecretBasic(client.client_secret!), { execute: [oidc.allowInsecureRequests] });
  const url = oidc.buildAuthorizationUrl(config, {
    redirect_uri: 'https://cat.example/callback',
    scope: 'openid',
    code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()),
    code_challenge_method: 'S256',
    state: 'st',
  });

  context = await browser.newContext();
  const token = siteverify.issue({ hostname: '127.0.0.1', action: 'login' });
  const scriptsServed: string[] = [];
  // Turnstile's api.js, as far as the form sees it: a box in the widget's element and the token in cf-turnstile-response.
  await context.route('https://challenges.cloudflare.com/**', async (route) => {
    scriptsServed.push(route.request().url());
    await route.fulfill({
      contentType: 'application/javascript',
      body: `for (const el of document.querySelectorAll('.cf-turnstile')) {
  el.textContent = 'Turnstile stand-in: solved for ' + el.dataset.action;
  const input = document.createElement('input');
  input.type = 'hidden'; input.name = 'cf-turnstile-response'; input.value = ${JSON.stringify(token)};
  el.appendChild(input);
}`,
    });
  });
  const page = await context.newPage();
  const blocked: string[] = [];
  page.on('console', (msg) => {
    if (/Content Security Policy/i.test(msg.text())) blocked.push(msg.text());
  });
  await page.goto(url.href);
  for (const wrong of ['not the password', 'still not it']) {
    await page.getByLabel('Email').fill(f.player.email);
    await page.getByLabel('Password').fill(wrong);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.locator('#error[data-code=invalid_credentials]').waitFor();
  }
  await page.getByText('Turnstile stand-in: solved for login').waitFor();
  expect(scriptsServed).toEqual(['https://challenges.cloudflare.com/turnstile/v0/api.js']);
  expect(blocked).toEqual([]);
  await screenshot(page, 'oidc-login-captcha');

  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  // Signed in: the provider asks for consent next.
  await page.locator('#consent-form').waitFor();
  const signedIn = (await fixtures.query(`SELECT count(*)::int AS n FROM auth.audit_events WHERE user_id = $1 AND type = 'login_succeeded' AND detail->>'via' = 'oidc'`, [f.player.id])) as { n: number }[];
  expect(signedIn[0]!.n).toBe(1);
  const verified = siteverify.requests.map((r) => new URLSearchParams(r.body).get('response'));
  expect(verified.filter((t) => t === token)).toHaveLength(1);
});
