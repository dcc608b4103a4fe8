/**
 * The example app (examples/browser) in real Chromium, in both modes, screen by screen; each
 * screen is saved as test-artifacts/browser/example-<mode>-NN-<screen>.png.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import packageJson from '../../package.json';
import { findFreePort } from '../support/ports';
import { signalGroup, spawnInRepo } from '../support/processes';
import { buildPackageForTest, launchChromium, openExample, screenshot } from './support/chromium';
import { startStack, type Stack } from './support/stack';

const PASSWORD = 'correct horse battery staple';

let browser: Browser;
let build: Awaited<ReturnType<typeof buildPackageForTest>>;
beforeAll(async () => {
  [browser, build] = await Promise.all([launchChromium(), buildPackageForTest()]);
});
afterAll(async () => {
  await browser?.close();
  await build?.remove();
});

const output = (page: Page) => page.locator('#output').textContent();

describe.each(['bearer', 'cookie'] as const)('the example app, %s mode', (mode) => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ packageDir: build.dir, mode });
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('register, a failed login, me, the cats API, logout, login: each screen works and is saved', async () => {
    const context = await browser.newContext({ viewport: { width: 1000, height: 700 } });
    try {
      const page = await openExample(await context.newPage(), stack.example.url);
      const shot = (step: string) => screenshot(page, `example-${mode}-${step}`);
      const email = `example-${mode}-${Date.now().toString(36)}@cathouse.example`;
      expect(await page.locator('#mode').textContent()).toBe(mode);
      await shot('01-signed-out');

      await page.fill('#login-form [name=email]', email);
      await page.fill('#login-form [name=password]', 'not the password');
      await page.click('#login-form button');
      await page.waitForSelector('#error:not([hidden])');
      expect(await page.locator('#error').textContent()).toMatch(/^invalid_credentials: /);
      await shot('02-login-refused');

      await page.fill('#register-form [name=email]', email);
      await page.fill('#register-form [name=password]', PASSWORD);
      await page.fill('#register-form [name=display_name]', 'Mia');
      await page.click('#register-form button');
      await page.waitForSelector('body[data-state=signed-in]');
      expect(await page.locator('#who').textContent()).toBe('Mia (player)');
      await shot('03-registered');

      await page.click('#me-button');
      await page.locator('#output', { hasText: '"status": 200' }).waitFor();
      expect(JSON.parse((await output(page))!).body.email).toBe(email);
      await shot('04-me');

      await page.click('#cats-button');
      await page.locator('#output', { hasText: 'Miso' }).waitFor();
      expect(JSON.parse((await output(page))!)).toMatchObject({ status: 200, body: { role: 'player', cats: ['Miso', 'Tofu', 'Mochi'] } });
      await shot('05-cats-api');

      // The session survives a reload: from localStorage (bearer) or from the cookie (cookie).
      await page.reload();
      await page.waitForSelector('body[data-state=signed-in]');
      await shot('06-after-reload');

      await page.click('#logout-button');
      await page.waitForSelector('body[data-state=signed-out]');
      expect(await page.locator('#events').textContent()).toContain('signedOut: logout');
      await shot('07-logged-out');

      await page.fill('#login-form [name=email]', email);
      await page.fill('#login-form [name=password]', PASSWORD);
      await page.click('#login-form button');
      await page.waitForSelector('body[data-state=signed-in]');
      await shot('08-logged-in-again');
    } finally {
      await context.close();
    }
  });
});

describe('npm run example:browser (the documented command)', () => {
  it('serves the example next to the API (embedded database), Chromium signs in through it, and Ctrl-C stops it cleanly', async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'cathouse-example-'));
    const [apiPort, examplePort, pgPort] = [await findFreePort(), await findFreePort(), await findFreePort()];
    // The script itself rather than `npm run`, so that Ctrl-C reaches it and its exit code is its own.
    const [command, ...args] = (packageJson.scripts['example:browser'] as string).split(' ');
    const example = spawnInRepo(command!, [...args, '--mode=cookie', `--port=${examplePort}`], {
      PORT: String(apiPort),
      EMBEDDED_PG_PORT: String(pgPort),
      DATA_DIR: dataDir,
      LOG_LEVEL: 'info',
    });
    try {
      await example.waitForOutput(/example app \(cookie mode\): open http:\/\/localhost:\d+/, 60_000);
      const context = await browser.newContext();
      const page = await openExample(await context.newPage(), `http://localhost:${examplePort}`);
      await page.fill('#register-form [name=email]', `command-${Date.now().toString(36)}@cathouse.example`);
      await page.fill('#register-form [name=password]', PASSWORD);
      await page.click('#register-form button');
      await page.waitForSelector('body[data-state=signed-in]');
      await context.close();
    } finally {
      signalGroup(example, 'SIGINT');
      expect(await example.exited).toBe(0);
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
