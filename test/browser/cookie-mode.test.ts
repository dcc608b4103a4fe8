/**
 * Cookie mode (REFRESH_TOKEN_COOKIE=true) in real Chromium, with the app on another origin than the
 * API: the example app on http://localhost:B, the auth service on http://localhost:A (same site,
 * different origins), and an unlisted site at http://127.0.0.1:B.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { sessionIdOf } from './support/auth-service';
import { buildPackageForTest, launchChromium, openExample, screenshot } from './support/chromium';
import { startStack, type Stack } from './support/stack';

const PASSWORD = 'correct horse battery staple';

let browser: Browser;
let build: Awaited<ReturnType<typeof buildPackageForTest>>;
let stack: Stack;
let context: BrowserContext;

beforeAll(async () => {
  [browser, build] = await Promise.all([launchChromium(), buildPackageForTest()]);
  stack = await startStack({ packageDir: build.dir, mode: 'cookie', env: { REFRESH_REUSE_INTERVAL_SECONDS: '0' } });
});
afterAll(async () => {
  await stack?.close();
  await browser?.close();
  await build?.remove();
});
beforeEach(async () => {
  context = await browser.newContext();
});
afterEach(async () => {
  await context?.close();
});

async function registerThroughTheApp(page: Page, label: string) {
  await openExample(page, stack.example.url);
  await page.fill('#register-form [name=email]', `${label}-${Date.now().toString(36)}@cathouse.example`);
  await page.fill('#register-form [name=password]', PASSWORD);
  const registered = page.waitForResponse((r) => r.url().endsWith('/api/v1/auth/register') && r.request().method() === 'POST');
  await page.click('#register-form button');
  const response = await registered;
  await page.waitForSelector('body[data-state=signed-in]');
  const token = await page.evaluate(() => (globalThis as unknown as { cathouse: { auth: { getAccessToken(): Promise<string> } } }).cathouse.auth.getAccessToken());
  return { response, sessionId: sessionIdOf(token) };
}

async function refreshCookie() {
  return (await context.cookies(stack.service.origin)).find((c) => c.name === '__Host-refresh_token');
}

/** Submits an HTML form (a "simple" request: no custom header possible) from `page` to the service's /refresh. */
async function submitFormToRefresh(page: Page) {
  const answered = page.waitForResponse((r) => r.url() === `${stack.service.apiBase}/refresh`);
  // setContent keeps the page's origin: the form is this site's.
  await page.setContent(
    `<form method="post" action="${stack.service.apiBase}/refresh"><input name="grant_type" value="refresh_token"><button>Go</button></form>`,
  );
  await page.click('button');
  const response = await answered;
  return { status: response.status(), body: (await response.json()) as { error: string }, sentCookie: 'cookie' in (await response.request().allHeaders()) };
}

describe('cookie mode from another origin in Chromium', () => {
  it('signs in through CORS with credentials and the CSRF header; the refresh token is only in an HttpOnly cookie', async () => {
    const page = await context.newPage();
    const { response, sessionId } = await registerThroughTheApp(page, 'cookie');

    expect(response.status()).toBe(201);
    expect(await response.request().headerValue('x-requested-with')).toBe('fetch');
    expect(await response.headerValue('access-control-allow-origin')).toBe(stack.example.url);
    expect(await response.headerValue('access-control-allow-credentials')).toBe('true');
    expect(((await response.json()) as { refresh_token?: string }).refresh_token).toBeUndefined();

    const cookie = await refreshCookie();
    expect(cookie).toMatchObject({ httpOnly: true, secure: true, sameSite: 'Strict', path: '/' });
    // Nothing a script on the page can read holds it.
    const readable = await page.evaluate<string>('`${document.cookie}|${JSON.stringify({ ...localStorage })}|${JSON.stringify({ ...sessionStorage })}`');
    expect(readable).not.toContain(cookie!.value);

    // A reload forgets the access token (memory); the cookie gets a new one, for the same session.
    await page.reload();
    await page.waitForSelector('body[data-state=signed-in]');
    await page.click('#me-button');
    await page.locator('#output', { hasText: '"status": 200' }).waitFor();
    expect((await refreshCookie())!.value).not.toBe(cookie!.value);
    expect(await stack.service.refreshTokenCounts(sessionId)).toEqual({ live: 1, total: 2, revoked: false });
    await screenshot(page, 'cookie-mode-after-reload');
  });

  it('a cross-site form POST to /refresh is refused (csrf_failed), and so is a same-site one that carries the cookie; the session is untouched', async () => {
    const page = await context.newPage();
    const { sessionId } = await registerThroughTheApp(page, 'csrf');
    const before = await refreshCookie();

    // Another site (127.0.0.1 is not localhost): SameSite=Strict keeps the cookie home, the missing header is refused.
    const attacker = await context.newPage();
    await attacker.goto(`http://127.0.0.1:${stack.example.port}/style.css`);
    const crossSite = await submitFormToRefresh(attacker);
    expect(crossSite).toEqual({ status: 403, body: expect.objectContaining({ error: 'csrf_failed' }), sentCookie: false });
    await screenshot(attacker, 'cookie-mode-cross-site-form-refused');

    // The same site (a sibling page on localhost): the browser does send the cookie; the header check still refuses.
    const sibling = await context.newPage();
    await sibling.goto(`${stack.example.url}/style.css`);
    const sameSite = await submitFormToRefresh(sibling);
    expect(sameSite).toEqual({ status: 403, body: expect.objectContaining({ error: 'csrf_failed' }), sentCookie: true });

    expect((await refreshCookie())!.value).toBe(before!.value);
    expect(await stack.service.refreshTokenCounts(sessionId)).toEqual({ live: 1, total: 1, revoked: false });
    // And the app still refreshes with it.
    await page.reload();
    await page.waitForSelector('body[data-state=signed-in]');
    expect(await stack.service.refreshTokenCounts(sessionId)).toEqual({ live: 1, total: 2, revoked: false });
  });

  it('a script on an origin outside CORS_ORIGINS cannot call the service with the cookie: the preflight is refused', async () => {
    const page = await context.newPage();
    const { sessionId } = await registerThroughTheApp(page, 'cors');
    const attacker = await context.newPage();
    await attacker.goto(`http://127.0.0.1:${stack.example.port}/style.css`);
    const outcome = await attacker.evaluate(
      (url) =>
        fetch(url, { method: 'POST', credentials: 'include', headers: { 'x-requested-with': 'fetch' } }).then(
          (res) => `answered ${res.status}`,
          (err: Error) => `${err.name}: ${err.message}`,
        ),
      `${stack.service.apiBase}/refresh`,
    );
    expect(outcome).toBe('TypeError: Failed to fetch');
    expect(await stack.service.refreshTokenCounts(sessionId)).toEqual({ live: 1, total: 1, revoked: false });
  });
});
