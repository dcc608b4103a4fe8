import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { buildAuthBrowser } from '../../../examples/browser/build-package';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../../support/shared-browser';

export { CHROMIUM_PATH };


/** Screenshots of the browser tests: a gitignored folder at the repository root. */
export const ARTIFACTS_DIR = path.resolve(__dirname, '../../../test-artifacts/browser');

/**
 * Headless Chromium. Under jest, every test file shares the one browser that the global set-up
 * started (TEST_CHROMIUM_WS_ENDPOINT): each file connects to it and isolates itself in its own
 * contexts, so a run pays one browser start, not one per file. Outside jest (or if the set-up
 * could not start it), a browser of its own.
 */
export async function launchChromium(): Promise<Browser> {
  const shared = process.env.TEST_CHROMIUM_WS_ENDPOINT;
  if (shared) return chromium.connect(shared);
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(`${CHROMIUM_PATH} is missing: install Debian's Chromium (apt-get install -y chromium), as .ci/run does`);
  }
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
}

/** The package built for this test file only, so parallel test files never read a half-written build. */
export async function buildPackageForTest(): Promise<{ dir: string; remove(): Promise<void> }> {
  const root = await mkdtemp(path.join(tmpdir(), 'cathouse-auth-browser-'));
  const dir = await buildAuthBrowser(path.join(root, 'dist'));
  return { dir, remove: () => rm(root, { recursive: true, force: true }) };
}

export async function screenshot(page: Page, name: string): Promise<string> {
  await mkdir(ARTIFACTS_DIR, { recursive: true });
  const file = path.join(ARTIFACTS_DIR, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

/** The example app, loaded and rendered (its client has read the stored session). */
export async function openExample(page: Page, url: string): Promise<Page> {
  await page.goto(url);
  await page.waitForSelector('body[data-ready=true]');
  return page;
}

export interface LoopResult {
  ok: number;
  /** Final statuses other than 200 (after the wrapper's one retry), by status. */
  statuses: Record<string, number>;
  /** AuthError codes (or messages) thrown by the client. */
  errors: string[];
  signedOut: Array<{ reason: string; fromOtherTab: boolean }>;
  /** Refreshes this tab did itself, and those it took from other tabs. */
  refreshed: number;
  refreshedByOtherTabs: number;
  /** The session id (`sid`) of the tab's access token at the end, or null when it has none. */
  sid: string | null;
}

/**
 * In the page: the example app's client calls GET /me through its fetch wrapper, every 100 ms,
 * for `durationMs`, and reports what happened.
 */
export function callMeInALoop(page: Page, apiBase: string, durationMs: number): Promise<LoopResult> {
  return page.evaluate(
    async ({ apiBase, durationMs }) => {
      type Auth = {
        on(event: string, listener: (e: { reason?: string; fromOtherTab: boolean }) => void): () => void;
        fetch(url: string): Promise<{ ok: boolean; status: number }>;
        getAccessToken(): Promise<string>;
      };
      const auth = (globalThis as unknown as { cathouse: { auth: Auth } }).cathouse.auth;
      const result = { ok: 0, statuses: {} as Record<string, number>, errors: [] as string[], signedOut: [] as Array<{ reason: string; fromOtherTab: boolean }>, refreshed: 0, refreshedByOtherTabs: 0, sid: null as string | null };
      const off = [
        auth.on('signedOut', (e) => result.signedOut.push({ reason: e.reason ?? '', fromOtherTab: e.fromOtherTab })),
        auth.on('tokenRefreshed', (e) => (e.fromOtherTab ? result.refreshedByOtherTabs++ : result.refreshed++)),
      ];
      const end = Date.now() + durationMs;
      while (Date.now() < end) {
        try {
          const res = await auth.fetch(`${apiBase}/me`);
          if (res.ok) result.ok++;
          else result.statuses[res.status] = (result.statuses[res.status] ?? 0) + 1;
        } catch (err) {
          result.errors.push((err as { code?: string }).code ?? String(err));
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      off.forEach((unsubscribe) => unsubscribe());
      const token = await auth.getAccessToken().catch(() => null);
      if (token) result.sid = JSON.parse(atob(token.split('.')[1]!.replace(/-/g, '+').replace(/_/g, '/'))).sid;
      return result;
    },
    { apiBase, durationMs },
  );
}
