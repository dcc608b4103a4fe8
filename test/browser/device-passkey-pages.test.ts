/**
 * Passkeys on the /device verification page (issue 26 on issue 28's page), in real Chromium with
 * the DevTools virtual authenticator: a developer who signs in with the passkey alone approves a
 * real `cathouse login` process, whose stored token says hwk + mfa; a developer answers the second
 * factor with the passkey and the device code's poll gets tokens; an assertion replayed on the same
 * page is refused with the error shown and nobody signed in. Screenshots in test-artifacts/browser.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import request from 'supertest';
import { registerDeveloper, uniqueEmail } from '../auth/helpers';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { spawnInRepo } from '../support/processes';
import { PASSWORD } from '../developer-credentials/support';
import { launchChromium, screenshot } from './support/chromium';
import { registerPasskey, startPasskeyStack, tabWithAuthenticator, type PasskeyStack } from './support/passkey-pages';

let browser: Browser;
let db: TestDatabase;
let stack: PasskeyStack;
let configDir: string;
let context: BrowserContext | undefined;

beforeAll(async () => {
  browser = await launchChromium();
  db = await createTestDatabase();
  stack = await startPasskeyStack(db.url, { DEVICE_POLL_INTERVAL_SECONDS: '1' });
  configDir = await mkdtemp(path.join(tmpdir(), 'cathouse-cli-'));
});
afterAll(async () => {
  await browser?.close();
  await stack?.close();
  await db?.drop();
  if (configDir) await rm(configDir, { recursive: true, force: true });
});
afterEach(async () => {
  await context?.close();
  context = undefined;
});

/** A developer whose passkey is in a new tab's authenticator. */
async function developerWithPasskey(): Promise<{ email: string; id: string; page: Page }> {
  const email = uniqueEmail('devkey');
  const dev = await registerDeveloper(stack.t, email, PASSWORD);
  const tab = await tabWithAuthenticator(browser, stack.url);
  context = tab.context;
  await registerPasskey(stack.t, tab.page, dev.access_token);
  return { email, id: dev.user.id, page: tab.page };
}

/** A device authorization as the CLI asks it, over HTTP: its codes. */
async function deviceAuthorization(): Promise<{ device_code: string; user_code: string }> {
  const res = await request(stack.t.app).post('/api/v1/auth/device_authorization').type('form').send({ client_id: 'cathouse-cli', scope: 'cats:publish' });
  expect(res.status).toBe(200);
  return res.body;
}

const poll = (deviceCode: string) =>
  request(stack.t.app).post('/api/v1/auth/token').type('form').send({ grant_type: 'urn:ietf:params:oauth:grant-type:device_code', device_code: deviceCode, client_id: 'cathouse-cli' });

const claimsOf = (jwt: string) => JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString()) as { sub: string; amr: string[] };

it('cathouse login, approved on /device by a developer signing in with the passkey alone: the CLI token says hwk + mfa', async () => {
  const { email, page } = await developerWithPasskey();
  const cli = spawnInRepo(process.execPath, ['packages/cli/bin/cathouse.js', 'login'], { CATHOUSE_CONFIG_DIR: configDir, CATHOUSE_SERVER: stack.direct });
  await cli.waitForOutput(/shows the code [A-Z]{4}-[A-Z]{4}/, 30_000);
  const url = /open (\S+)/.exec(cli.output())![1]!;
  expect(url.startsWith(`${stack.url}/device`)).toBe(true);

  await page.goto(url);
  await page.getByRole('button', { name: 'Continue' }).click();
  await page.getByRole('heading', { name: 'Sign in to connect a device' }).waitFor();
  // The button shows once its script has run (the screenshot would race it).
  await page.getByRole('button', { name: 'Sign in with a passkey' }).waitFor();
  await screenshot(page, 'device-sign-in-passkey');
  await page.getByRole('button', { name: 'Sign in with a passkey' }).click();
  await page.getByRole('heading', { name: 'Allow this device?' }).waitFor();
  expect(await page.textContent('#who')).toBe(email);
  await page.getByRole('button', { name: 'Allow' }).click();
  await page.locator('#done[data-decision=approve]').waitFor();

  expect(await cli.exited).toBe(0);
  expect(cli.output()).toContain(`as ${email} (developer).`);
  const stored = JSON.parse(await readFile(path.join(configDir, 'credentials.json'), 'utf8')) as { access_token: string };
  expect(claimsOf(stored.access_token).amr).toEqual(['hwk', 'mfa']);
});

it('password, then the passkey as the second factor on /device: the device code\'s poll gets tokens saying pwd + hwk + mfa', async () => {
  const { email, id, page } = await developerWithPasskey();
  const codes = await deviceAuthorization();
  await page.goto(`${stack.url}/device?user_code=${codes.user_code}`);
  await page.getByRole('button', { name: 'Continue' }).click();
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await page.getByRole('heading', { name: 'Second factor' }).waitFor();
  // The button shows once its script has run (the screenshot would race it).
  await page.getByRole('button', { name: 'Use a passkey' }).waitFor();
  await screenshot(page, 'device-second-factor-passkey');
  await page.getByRole('button', { name: 'Use a passkey' }).click();
  await page.getByRole('heading', { name: 'Allow this device?' }).waitFor();
  await page.getByRole('button', { name: 'Allow' }).click();
  await page.locator('#done[data-decision=approve]').waitFor();

  const tokens = await poll(codes.device_code);
  expect(tokens.status).toBe(200);
  expect(claimsOf(tokens.body.access_token)).toMatchObject({ sub: id, amr: ['pwd', 'hwk', 'mfa'] });
});

it('an assertion replayed on the same page is refused with the error shown, and nobody is signed in', async () => {
  const { id, page } = await developerWithPasskey();
  const codes = await deviceAuthorization();
  await page.goto(`${stack.url}/device?user_code=${codes.user_code}`);
  await page.getByRole('button', { name: 'Continue' }).click();
  const posted = page.waitForRequest((r) => r.method() === 'POST' && r.url().endsWith('/device/sign-in/passkey'));
  await page.getByRole('button', { name: 'Sign in with a passkey' }).click();
  const assertion = new URLSearchParams((await posted).postData() ?? '').get('assertion');
  expect(assertion).toBeTruthy();
  await page.getByRole('heading', { name: 'Allow this device?' }).waitFor();

  // Signed out on the page (its browser nonce, to which the challenge is bound, stays): the same assertion again.
  await page.getByRole('button', { name: 'Not you? Use another account' }).click();
  await page.getByRole('heading', { name: 'Sign in to connect a device' }).waitFor();
  await page.locator('#passkey-form').evaluate((form, value) => {
    (form as unknown as { querySelector(s: string): { value: string }; submit(): void }).querySelector('input[name=assertion]').value = value;
    (form as unknown as { submit(): void }).submit();
  }, assertion!);
  await page.locator('#error[data-code=invalid_credentials]').waitFor();
  // A replay, not a cloned authenticator: its counter is the one its first use stored, and its challenge is spent.
  expect(await page.textContent('#error')).toContain('its challenge was already answered (a replayed response)');
  expect(await stack.t.dataSource.query(`SELECT 1 FROM auth.audit_events WHERE user_id = $1 AND type = 'passkey_clone_suspected'`, [id])).toEqual([]);
  await screenshot(page, 'device-sign-in-passkey-replayed');
  expect(await page.getByRole('heading', { name: 'Sign in to connect a device' }).count()).toBe(1);
  expect(await page.locator('#decision-form').count()).toBe(0);
  const events = await stack.t.dataSource.query(`SELECT type FROM auth.audit_events WHERE user_id = $1 AND type IN ('login_succeeded', 'login_failed') ORDER BY id`, [id]);
  expect(events.map((e: { type: string }) => e.type)).toEqual(['login_succeeded', 'login_failed']);
  // The device waits still: the poll says authorization_pending.
  expect((await poll(codes.device_code)).body.error).toBe('authorization_pending');
});
