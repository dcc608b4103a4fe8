import { existsSync } from 'node:fs';
import { chromium, type BrowserServer } from 'playwright-core';

/** Debian's chromium package; CI installs it (.ci/run). Playwright never downloads a browser here. */
export const CHROMIUM_PATH = '/usr/bin/chromium';
/** As root (CI, containers) Chromium only starts without its sandbox. */
export const CHROMIUM_ARGS = ['--no-sandbox'];

/**
 * One Chromium for the whole jest run (CI keeps one browser, not one per test file): started by
 * the global set-up, reached by the files through TEST_CHROMIUM_WS_ENDPOINT (jest's workers
 * inherit the environment), stopped by the global teardown. Without Debian's chromium the
 * variable stays unset and a browser test fails with the install line.
 */
export async function startSharedBrowser(): Promise<BrowserServer | undefined> {
  if (!existsSync(CHROMIUM_PATH)) return undefined;
  const server = await chromium.launchServer({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS, host: '127.0.0.1' });
  process.env.TEST_CHROMIUM_WS_ENDPOINT = server.wsEndpoint();
  return server;
}
