/**
 * The reference CLI end to end: `cathouse login` is a real process polling the device code grant
 * while a developer signs in and allows it on the /device page in real Chromium (JavaScript off:
 * the page is plain forms), with screenshots in test-artifacts/browser. Then whoami, a personal
 * access token for CI (created, used through CATHOUSE_TOKEN, listed, revoked), both tokens accepted
 * by another service's verifier (@cathouse/auth-client), and logout; and a denial in the browser
 * that the CLI reports.
 */
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import express from 'express';
import type { Browser, BrowserContext } from 'playwright-core';
import request from 'supertest';
import { createVerifier, requireAuth, requireRole, requireUserScope } from '@cathouse/auth-client';
import { bearer, registerDeveloper, uniqueEmail } from '../auth/helpers';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { spawnInRepo, type Spawned } from '../support/processes';
import { listen, PASSWORD, type Listening } from '../developer-credentials/support';
import { launchChromium, screenshot } from './support/chromium';

let browser: Browser;
let db: TestDatabase;
let stack: Listening;
let configDir: string;
let context: BrowserContext | undefined;

beforeAll(async () => {
  browser = await launchChromium();
  db = await createTestDatabase();
  stack = await listen(db.url, { DEVICE_POLL_INTERVAL_SECONDS: '1' });
});
afterAll(async () => {
  await browser?.close();
  await stack?.close();
  await db?.drop();
});
beforeEach(async () => {
  configDir = await mkdtemp(path.join(tmpdir(), 'cathouse-cli-'));
});
afterEach(async () => {
  await context?.close();
  context = undefined;
  await rm(configDir, { recursive: true, force: true });
});

function cathouse(args: string[], env: Record<string, string> = {}): Spawned {
  return spawnInRepo(process.execPath, ['packages/cli/bin/cathouse.js', ...args], { CATHOUSE_CONFIG_DIR: configDir, CATHOUSE_SERVER: stack.url, ...env });
}

/** Runs the CLI to its end: exit code and everything it printed. */
async function run(args: string[], env: Record<string, string> = {}): Promise<{ code: number | string; output: string }> {
  const cli = cathouse(args, env);
  const code = await cli.exited;
  return { code, output: cli.output() };
}

/** Starts `cathouse login` and reads the URL and code it shows. */
async function startLogin(): Promise<{ cli: Spawned; url: string; code: string }> {
  const cli = cathouse(['login']);
  await cli.waitForOutput(/shows the code [A-Z]{4}-[A-Z]{4}/, 30_000);
  const url = /open (\S+)/.exec(cli.output())![1]!;
  const code = /the code ([A-Z]{4}-[A-Z]{4})/.exec(cli.output())![1]!;
  return { cli, url, code };
}

it('cathouse login through the browser, whoami, a PAT for CI used, listed and revoked, and logout', async () => {
  const email = uniqueEmail('dev');
  await registerDeveloper(stack.t, email, PASSWORD);
  const { cli, url, code } = await startLogin();
  expect(url).toBe(`${stack.url}/device?user_code=${code}`);

  context = await browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  await page.goto(url);
  expect(await page.getByLabel('Code').inputValue()).toBe(code);
  await screenshot(page, 'device-code');
  await page.getByRole('button', { name: 'Continue' }).click();

  await page.getByRole('heading', { name: 'Sign in to connect a device' }).waitFor();
  expect(await page.textContent('#device')).toContain('Cat House CLI on Linux');
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill('not the password');
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await page.locator('#error[data-code=invalid_credentials]').waitFor();
  await screenshot(page, 'device-sign-in-wrong-password');
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();

  await page.getByRole('heading', { name: 'Allow this device?' }).waitFor();
  const facts = await page.textContent('#device');
  expect(facts).toContain('Cat House CLI on Linux');
  expect(facts).toContain(code);
  expect(facts).toContain('cathouse-cli');
  expect(await page.textContent('#who')).toBe(email);
  await screenshot(page, 'device-confirm');
  await page.getByRole('button', { name: 'Allow' }).click();
  await page.locator('#done[data-decision=approve]').waitFor();
  await screenshot(page, 'device-done');

  expect(await cli.exited).toBe(0);
  expect(cli.output()).toContain(`Logged in to ${stack.url} as ${email} (developer).`);
  const file = path.join(configDir, 'credentials.json');
  expect((await stat(file)).mode & 0o777).toBe(0o600);

  const who = await run(['whoami', '--json']);
  expect(who.code).toBe(0);
  const me = JSON.parse(who.output) as { email: string; session_id: string; user_id: string };
  expect(me.email).toBe(email);
  // The CLI's session is listed among the user's sessions as the CLI.
  const stored = JSON.parse(await import('node:fs/promises').then((fs) => fs.readFile(file, 'utf8'))) as { access_token: string };
  const sessions = await request(stack.t.app).get('/api/v1/auth/me/sessions').set(bearer(stored.access_token));
  expect(sessions.body.sessions.find((s: { id: string }) => s.id === me.session_id).device).toBe('Cat House CLI on Linux');

  const created = await run(['tokens', 'create', '--name', 'CI publish', '--scope', 'cats:publish', '--expires-in', '30d']);
  expect(created.code).toBe(0);
  const pat = /chp_[0-9A-Za-z]{36}/.exec(created.output)![0];
  const ci = await run(['whoami', '--json'], { CATHOUSE_TOKEN: pat });
  expect(ci.code).toBe(0);
  expect(JSON.parse(ci.output)).toMatchObject({ role: 'developer', scope: 'cats:publish', via: 'personal access token' });

  // Both work against another service's verifier (offline, JWKS): the CLI's session token and the
  // token the CI's PAT is exchanged for, on a publishing route that names its scope.
  const verifier = createVerifier({ jwksUri: `${stack.url}/.well-known/jwks.json`, issuer: stack.t.config.auth.issuer, audience: stack.t.config.auth.audience, personalAccessTokens: true });
  const catalog = express().use(requireAuth(verifier));
  catalog.post('/cats/1/publish', requireUserScope('cats:publish'), requireRole('developer'), (req, res) => void res.json({ sub: req.auth!.sub }));
  const exchanged = await request(stack.t.app).post('/api/v1/auth/token').type('form').send({
    grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
    subject_token_type: 'urn:cathouse:params:oauth:token-type:personal_access_token',
    subject_token: pat,
  });
  for (const token of [stored.access_token, exchanged.body.access_token as string]) {
    const published = await request(catalog).post('/cats/1/publish').set(bearer(token));
    expect([published.status, published.body.sub]).toEqual([200, me.user_id]);
  }

  const listed = await run(['tokens', 'list', '--json']);
  const [token] = JSON.parse(listed.output) as { id: string; name: string; last_used_at: string | null }[];
  expect(token).toMatchObject({ name: 'CI publish' });
  expect(token!.last_used_at).not.toBeNull();
  expect(listed.output).not.toContain(pat);

  expect((await run(['tokens', 'revoke', token!.id])).code).toBe(0);
  const revoked = await run(['whoami'], { CATHOUSE_TOKEN: pat });
  expect(revoked.code).toBe(1);
  expect(revoked.output).toMatch(/^cathouse: .*revoked.*\(invalid_request\)\n$/);

  expect((await run(['logout'])).code).toBe(0);
  const after = await run(['whoami']);
  expect([after.code, after.output]).toEqual([1, 'cathouse: not logged in: run cathouse login\n']);
  const ended = await request(stack.t.app).get('/api/v1/auth/me').set(bearer(stored.access_token));
  expect(ended.status).toBe(401);
});

it('a denial in the browser ends cathouse login with a one-line error and exit code 1', async () => {
  const email = uniqueEmail('dev');
  await registerDeveloper(stack.t, email, PASSWORD);
  const { cli, url } = await startLogin();
  context = await browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  await page.goto(url);
  await page.getByRole('button', { name: 'Continue' }).click();
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await page.getByRole('button', { name: 'Deny' }).click();
  await page.locator('#done[data-decision=deny]').waitFor();
  await screenshot(page, 'device-denied');
  expect(await cli.exited).toBe(1);
  expect(cli.output()).toContain('cathouse: the login was denied in the browser; run cathouse login again if that was a mistake\n');
});
