import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import type { Browser, Page, Response } from 'playwright-core';
import { startTestApp, type TestApp } from '../support/app';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { REDIRECT_CLIENT_ID, REDIRECT_CLIENT_SECRET, RedirectProvider } from './redirect-provider';

/**
 * The frontend page a redirect sign-in returns to, served from the service's origin: it spends the
 * one-time code as a frontend does (POST redirect/exchange) and shows the answer in data attributes.
 */
export const FRONTEND_PAGE = `<!doctype html><html><body><script>
(async () => {
  const params = new URLSearchParams(location.search);
  if (params.get('error')) { document.body.dataset.error = params.get('error'); document.body.dataset.done = 'true'; return; }
  const headers = { 'content-type': 'application/json', 'x-requested-with': 'fetch' };
  const answer = await fetch('/api/v1/auth/redirect/exchange', { method: 'POST', headers, body: JSON.stringify({ code: params.get('code') }) });
  const body = await answer.json();
  document.body.dataset.status = String(answer.status);
  document.body.dataset.result = JSON.stringify(body);
  if (body.access_token) {
    const me = await fetch('/api/v1/auth/me', { headers: { authorization: 'Bearer ' + body.access_token } });
    document.body.dataset.me = JSON.stringify(await me.json());
  }
  document.body.dataset.done = 'true';
})();
</script></body></html>`;

/** A native app's return URL (RFC 8252 private-use scheme), allow-listed beside the web ones. */
export const APP_RETURN_URL = 'com.cathouse.test:/signed-in';

export interface RedirectTestbed {
  provider: RedirectProvider;
  app: TestApp;
  /** http://127.0.0.1:port of the service (and of the frontend page). */
  origin: string;
  /** The allow-listed frontend URL. */
  frontend: string;
}

/**
 * The service listening on loopback with one redirect provider ("acme", or `providerName`) on
 * loopback, in the given browser mode. `oidcIssuer`: the OpenID provider's issuer (and so /device's
 * verification_uri) on the same origin, for the service's own sign-in pages.
 */
export function useRedirectTestbed(
  env: Record<string, string> = {},
  { providerName = 'acme', oidcIssuer = false, factorClock }: { providerName?: string; oidcIssuer?: boolean; factorClock?: () => number } = {},
): RedirectTestbed {
  let db: TestDatabase | undefined;
  let server: Server | undefined;
  const bed: Partial<RedirectTestbed> = {};
  beforeAll(async () => {
    const outer = express();
    server = createServer(outer);
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const callback = `${origin}/api/v1/auth/redirect/callback`;
    bed.origin = origin;
    bed.frontend = `${origin}/frontend/done`;
    bed.provider = await RedirectProvider.start(callback);
    db = await createTestDatabase();
    bed.app = await startTestApp(db.url, {
      ...(oidcIssuer ? { OIDC_ISSUER: `${origin}/oidc` } : {}),
      WEB_SIGN_IN_PROVIDERS: JSON.stringify([{ name: providerName, issuer: bed.provider.issuer, client_id: REDIRECT_CLIENT_ID, client_secret: REDIRECT_CLIENT_SECRET }]),
      WEB_SIGN_IN_CALLBACK_URL: callback,
      WEB_SIGN_IN_RETURN_URLS: `${bed.frontend},${origin}/frontend/other,${APP_RETURN_URL}`,
      CORS_ORIGINS: origin,
      ...env,
    }, { factorClock });
    outer.get(['/frontend/done', '/frontend/other'], (_req, res) => void res.type('html').send(FRONTEND_PAGE));
    outer.use(bed.app.app);
  });
  afterAll(async () => {
    server?.closeAllConnections();
    await new Promise((resolve) => server?.close(resolve));
    await bed.app?.close();
    await db?.drop();
    await bed.provider?.close();
  });
  return bed as RedirectTestbed;
}

/**
 * From the stand-in provider's page: its development login (any name) and consent, until the
 * browser is back on `frontend`; then the frontend page's result (its body's data attributes).
 */
export async function providerLoginToFrontend(page: Page, issuer: string, frontend: string, login: string): Promise<Record<string, string | undefined>> {
  await page.waitForURL((url) => url.origin === issuer);
  await page.fill('input[name=login]', login);
  await page.fill('input[name=password]', 'any');
  await page.click('button[type=submit]');
  while (!page.url().startsWith(frontend)) {
    await page.waitForLoadState();
    if (page.url().startsWith(frontend)) break;
    await page.click('button[type=submit]');
    await page.waitForURL((url) => !url.pathname.includes('/interaction/') || url.href.startsWith(frontend), { timeout: 10_000 }).catch(() => undefined);
  }
  await page.waitForSelector('body[data-done=true]', { state: 'attached' });
  // The test's tsconfig has no DOM types: the page's globalThis is read as what it is there.
  return page.evaluate(() => ({ ...(globalThis as unknown as { document: { body: { dataset: Record<string, string> } } }).document.body.dataset }));
}

/** On the stand-in provider: its development login (any password), its consent as often as it asks, and back to `origin`. */
export async function throughProvider(page: Page, issuer: string, origin: string, login: string): Promise<void> {
  await page.waitForURL((url) => url.origin === issuer);
  await page.fill('input[name=login]', login);
  await page.fill('input[name=password]', 'any');
  await page.click('button[type=submit]');
  for (let i = 0; i < 5 && new URL(page.url()).origin === issuer; i++) {
    await page.waitForLoadState();
    if (new URL(page.url()).origin !== issuer) break;
    await page.click('button[type=submit]');
    await page.waitForURL((url) => url.origin !== issuer || !url.pathname.includes('/interaction/'), { timeout: 10_000 }).catch(() => undefined);
  }
  await page.waitForURL((url) => url.origin === origin);
}

/**
 * An app's in-app browser: opens `url`, signs in at the stand-in provider as `login` (its consent
 * as often as it asks) and returns our callback's answer, whose Location is the app's scheme
 * (which Chromium cannot open: the OS would hand it to the app).
 */
export async function inAppBrowser(browser: Browser, issuer: string, url: string, login: string): Promise<Response> {
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    const landed = page.waitForResponse((r) => r.url().includes('/api/v1/auth/redirect/callback'), { timeout: 30_000 });
    await page.goto(url);
    await page.waitForURL((u) => u.origin === issuer);
    await page.fill('input[name=login]', login);
    await page.fill('input[name=password]', 'any');
    await page.click('button[type=submit]');
    let done = false;
    void landed.then(() => (done = true));
    for (let i = 0; i < 5 && !done; i++) {
      await Promise.race([landed, page.waitForSelector('button[type=submit]', { timeout: 10_000 }).then((b) => b.click()).catch(() => undefined)]);
    }
    return await landed;
  } finally {
    await context.close();
  }
}
