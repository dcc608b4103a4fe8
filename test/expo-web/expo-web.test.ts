/**
 * The example Expo app's web export (Metro, through Expo's CLI, from examples/expo-app with the
 * package installed as a dependency) in real Chromium against the real service: register, reload,
 * refresh after expiry, a second tab, log out everywhere, log in. Screenshots in
 * test-artifacts/browser/expo-*.png. Access tokens live 4 s and rotated refresh tokens get no reuse
 * interval, so a client that kept a spent refresh token would lose the session.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { launchChromium, screenshot } from '../browser/support/chromium';
import { RunningAuthService, sessionIdOf } from '../browser/support/auth-service';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { findFreePort } from '../support/ports';
import { exportWebApp, serveStatic } from './export-app';

const PASSWORD = 'correct horse battery staple';
const EMAIL = `expo-${Date.now().toString(36)}@cathouse.example`;

let db: TestDatabase;
let service: RunningAuthService;
let site: { url: string; close(): Promise<void> };
let outDir: string;
let browser: Browser;
let context: BrowserContext;

beforeAll(async () => {
  db = await createTestDatabase();
  const [authPort, appPort] = [await findFreePort(), await findFreePort()];
  service = new RunningAuthService({
    databaseUrl: db.url,
    port: authPort,
    accessTokenTtlSeconds: 4,
    env: { CORS_ORIGINS: `http://localhost:${appPort}`, REFRESH_REUSE_INTERVAL_SECONDS: '0' },
  });
  await service.start();
  outDir = await mkdtemp(path.join(tmpdir(), 'cathouse-expo-web-'));
  const ms = await exportWebApp(outDir, service.origin);
  process.stdout.write(`expo export --platform web: ${(ms / 1000).toFixed(1)} s\n`);
  site = await serveStatic(outDir, appPort);
  browser = await launchChromium();
  context = await browser.newContext();
  // The export is a full Metro build: 40 s on a quiet machine, 175-230 s at a load average of 20 (measured).
}, 600_000);

afterAll(async () => {
  await context?.close();
  await browser?.close();
  await site?.close();
  await service?.close();
  await db?.drop();
  if (outDir) await rm(outDir, { recursive: true, force: true });
});

const byTestId = (page: Page, id: string) => page.locator(`[data-testid="${id}"]`);

async function stored(page: Page): Promise<{ refreshToken: string; accessToken: string } | null> {
  // Evaluated in the page: the root tsconfig has no DOM types, so the page's globals are reached through globalThis.
  return page.evaluate(() => {
    const storage = (globalThis as unknown as { localStorage: { getItem(key: string): string | null } }).localStorage;
    return JSON.parse(storage.getItem('cathouse.auth') ?? 'null')?.session ?? null;
  });
}

describe('the example Expo app, exported for the web, against the real service', () => {
  let first: Page;
  let second: Page;

  it('opens on the login screen when nobody is signed in', async () => {
    first = await context.newPage();
    await first.goto(site.url);
    await first.waitForURL(/\/login$/);
    await byTestId(first, 'email').waitFor();
    await screenshot(first, 'expo-01-login');
  });

  it('registers (the name goes as display_name) and lands on the home screen', async () => {
    await byTestId(first, 'email').fill(EMAIL);
    await byTestId(first, 'password').fill(PASSWORD);
    await byTestId(first, 'name').fill('Mia');
    await byTestId(first, 'register').click();
    await expectText(first, 'signed-in-as', 'Signed in as Mia');
    await screenshot(first, 'expo-02-registered');
  });

  it('stays signed in across a reload (the session comes from localStorage)', async () => {
    await first.reload();
    await expectText(first, 'signed-in-as', 'Signed in as Mia');
    await screenshot(first, 'expo-03-reloaded');
  });

  it('refreshes after the access token expired, stores the rotated refresh token, and the API call works', async () => {
    const before = await stored(first);
    await first.waitForTimeout(4_500);
    await byTestId(first, 'call-api').click();
    await expectText(first, 'api-answer', `The API says: ${EMAIL} (player)`);
    const after = await stored(first);
    expect(after?.refreshToken).toBeDefined();
    expect(after?.refreshToken).not.toBe(before?.refreshToken);
    const counts = await service.refreshTokenCounts(sessionIdOf(after!.accessToken));
    expect(counts).toMatchObject({ live: 1, revoked: false });
    expect(counts.total).toBeGreaterThanOrEqual(2);
    await screenshot(first, 'expo-04-after-refresh');
  });

  it('a second tab is signed in to the same session', async () => {
    second = await context.newPage();
    await second.goto(site.url);
    await expectText(second, 'signed-in-as', 'Signed in as Mia');
    expect(sessionIdOf((await stored(second))!.accessToken)).toBe(sessionIdOf((await stored(first))!.accessToken));
    await screenshot(second, 'expo-05-second-tab');
  });

  it('logging out in the second tab signs out both tabs and ends the session at the service', async () => {
    const sid = sessionIdOf((await stored(second))!.accessToken);
    await second.goto(`${site.url}/profile`);
    await expectText(second, 'profile-email', EMAIL);
    await screenshot(second, 'expo-06-profile');
    await byTestId(second, 'logout').click();
    await second.waitForURL(/\/login$/);
    await first.waitForURL(/\/login$/);
    expect(await stored(first)).toBeNull();
    expect(await service.refreshTokenCounts(sid)).toMatchObject({ revoked: true });
    await screenshot(first, 'expo-07-logged-out-other-tab');
  });

  it('logs in again with the password', async () => {
    await byTestId(first, 'email').fill(EMAIL);
    await byTestId(first, 'password').fill(PASSWORD);
    await byTestId(first, 'login').click();
    await expectText(first, 'signed-in-as', 'Signed in as Mia');
    await expectText(second, 'signed-in-as', 'Signed in as Mia');
    await screenshot(first, 'expo-08-logged-in');
  });

  it('a wrong password shows the API code on the login screen', async () => {
    const third = await context.newPage();
    await third.goto(`${site.url}/profile`);
    await byTestId(third, 'logout').click();
    await third.waitForURL(/\/login$/);
    await byTestId(third, 'email').fill(EMAIL);
    await byTestId(third, 'password').fill('not the password');
    await byTestId(third, 'login').click();
    await expectText(third, 'error', 'invalid_credentials');
    await screenshot(third, 'expo-09-wrong-password');
    await third.close();
  });
});

async function expectText(page: Page, testId: string, text: string): Promise<void> {
  await page.waitForFunction(
    ({ selector, text }) => {
      const doc = (globalThis as unknown as { document: { querySelector(s: string): { textContent: string | null } | null } }).document;
      return doc.querySelector(selector)?.textContent?.includes(text) ?? false;
    },
    { selector: `[data-testid="${testId}"]`, text },
    { timeout: 20_000 },
  );
}
