/**
 * `cathouse login` for a developer with an authenticator app (issues 26 and 28): a real CLI process
 * polls while the developer signs in on /device in real Chromium (JavaScript off: plain forms),
 * types a wrong code, then the right one, and allows the device. The CLI's session says both
 * factors, so it may create a personal access token at once. Screenshots in test-artifacts/browser.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser, BrowserContext } from 'playwright-core';
import request from 'supertest';
import { bearer, registerDeveloper, uniqueEmail } from '../auth/helpers';
import { totpCode } from '../factors/support';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { spawnInRepo, type Spawned } from '../support/processes';
import { listen, PASSWORD, type Listening } from '../developer-credentials/support';
import { launchChromium, screenshot } from './support/chromium';

let browser: Browser;
let db: TestDatabase;
let stack: Listening;
let configDir: string;
let context: BrowserContext | undefined;
// The service's authenticator-app clock: codes are computed for it, as the app on a phone would.
const clock = { now: Date.UTC(2026, 0, 1) };

beforeAll(async () => {
  browser = await launchChromium();
  db = await createTestDatabase();
  stack = await listen(db.url, { DEVICE_POLL_INTERVAL_SECONDS: '1' }, { factorClock: () => clock.now });
  configDir = await mkdtemp(path.join(tmpdir(), 'cathouse-cli-'));
});
afterAll(async () => {
  await context?.close();
  await browser?.close();
  await stack?.close();
  await db?.drop();
  if (configDir) await rm(configDir, { recursive: true, force: true });
});

function cathouse(args: string[]): Spawned {
  return spawnInRepo(process.execPath, ['packages/cli/bin/cathouse.js', ...args], { CATHOUSE_CONFIG_DIR: configDir, CATHOUSE_SERVER: stack.url });
}

it('cathouse login with password and authenticator app in the browser; the CLI session may create a PAT at once', async () => {
  const email = uniqueEmail('dev2f');
  const dev = await registerDeveloper(stack.t, email, PASSWORD);
  const begun = await request(stack.t.app).post('/api/v1/auth/me/totp').set(bearer(dev.access_token));
  const secret = begun.body.secret as string;
  const confirmed = await request(stack.t.app).post('/api/v1/auth/me/totp/confirm').set(bearer(dev.access_token)).send({ code: totpCode(secret, clock.now) });
  expect(confirmed.status).toBe(200);
  clock.now += 30_000;

  const cli = cathouse(['login']);
  await cli.waitForOutput(/shows the code [A-Z]{4}-[A-Z]{4}/, 30_000);
  const url = /open (\S+)/.exec(cli.output())![1]!;

  context = await browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  await page.goto(url);
  await page.getByRole('button', { name: 'Continue' }).click();
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();

  await page.getByRole('heading', { name: 'Second factor' }).waitFor();
  expect(await page.textContent('#device')).toContain('Cat House CLI on Linux');
  await screenshot(page, 'device-second-factor');
  await page.getByLabel('Code').fill(totpCode(secret, clock.now + 20 * 30_000));
  await page.getByRole('button', { name: 'Continue' }).click();
  await page.locator('#error[data-code=invalid_credentials]').waitFor();
  await screenshot(page, 'device-second-factor-wrong-code');
  await page.getByLabel('Code').fill(totpCode(secret, clock.now));
  await page.getByRole('button', { name: 'Continue' }).click();

  await page.getByRole('heading', { name: 'Allow this device?' }).waitFor();
  expect(await page.textContent('#who')).toBe(email);
  await page.getByRole('button', { name: 'Allow' }).click();
  await page.locator('#done[data-decision=approve]').waitFor();

  expect(await cli.exited).toBe(0);
  expect(cli.output()).toContain(`Logged in to ${stack.url} as ${email} (developer).`);
  const stored = JSON.parse(await readFile(path.join(configDir, 'credentials.json'), 'utf8')) as { access_token: string };
  const claims = JSON.parse(Buffer.from(stored.access_token.split('.')[1]!, 'base64url').toString()) as { amr: string[] };
  expect(claims.amr).toEqual(['pwd', 'otp', 'mfa']);

  // A PAT needs a recent second factor for an account that has one (step-up): the CLI's sign-in is one.
  const created = cathouse(['tokens', 'create', '--name', 'CI publish', '--scope', 'cats:publish', '--expires-in', '30d']);
  expect(await created.exited).toBe(0);
  expect(created.output()).toMatch(/chp_[0-9A-Za-z]{36}/);
});
