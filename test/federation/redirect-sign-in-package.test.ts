import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { buildPackageForTest, launchChromium } from '../browser/support/chromium';
import { useRedirectTestbed, type RedirectTestbed } from './redirect-support';

/**
 * Web redirect sign-in (issue 25 items 2 and 5) through @cathouse/auth-browser in real Chromium:
 * a frontend on its own origin calls signInWithRedirect, the browser goes through a real OpenID
 * provider on loopback and our callback, and the return page's completeRedirectSignIn spends the
 * one-time code, signs in every tab and takes the code out of the address bar. Both browser modes.
 */
let browser: Browser;
let build: Awaited<ReturnType<typeof buildPackageForTest>>;
beforeAll(async () => {
  [browser, build] = await Promise.all([launchChromium(), buildPackageForTest()]);
});
afterAll(async () => {
  await browser?.close();
  await build?.remove();
});

/** The frontend's one page: it finishes a redirect sign-in when it has an answer, and offers to start one. */
function appPage(apiBase: string, mode: string, returnTo: string): string {
  return `<!doctype html><html><body><button id="sign-in">Sign in with Acme</button><script type="module">
import { createAuthClient, localStorageAdapter, signInWithRedirect, completeRedirectSignIn } from '/pkg/index.js';
const auth = createAuthClient({ baseUrl: ${JSON.stringify(apiBase)}, mode: ${JSON.stringify(mode)}, storage: localStorageAdapter() });
globalThis.cathouse = { auth, signInWithRedirect, completeRedirectSignIn };
document.getElementById('sign-in').onclick = () => signInWithRedirect(auth, 'acme', { returnTo: ${JSON.stringify(returnTo)} });
try {
  // Twice at once, as React's StrictMode runs an effect: the second finds the address bar already clean.
  const [user, second] = await Promise.all([completeRedirectSignIn(auth), completeRedirectSignIn(auth)]);
  document.body.dataset.result = JSON.stringify(second === null ? { user } : { user, second });
} catch (err) {
  document.body.dataset.result = JSON.stringify({ error: { name: err.name, code: err.code, status: err.status, detail: err.detail } });
}
document.body.dataset.done = 'true';
</script></body></html>`;
}

interface Frontend {
  origin: string;
  /** The allow-listed return URL; it has a query of its own, which must survive. */
  returnTo: string;
}

/** The service and the provider (redirect-support) plus the frontend on another origin of the same site, in `mode`. */
function useFrontend(mode: 'bearer' | 'cookie'): { bed: RedirectTestbed; front: Frontend } {
  const env: Record<string, string> = mode === 'cookie' ? { REFRESH_TOKEN_COOKIE: 'true' } : {};
  const front: Frontend = { origin: '', returnTo: '' };
  let server: Server | undefined;
  // Declared before the testbed's beforeAll, so it runs first: the service starts with this origin allowed.
  beforeAll(async () => {
    const app = express();
    app.use('/pkg', express.static(build.dir));
    app.get('/app', (_req, res) => void res.type('html').send(appPage(`${bed.origin}/api/v1/auth`, mode, front.returnTo)));
    server = createServer(app);
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    front.origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    front.returnTo = `${front.origin}/app?screen=home`;
    env.WEB_SIGN_IN_RETURN_URLS = front.returnTo;
    env.CORS_ORIGINS = front.origin;
  });
  const bed = useRedirectTestbed(env);
  afterAll(async () => {
    server?.closeAllConnections();
    await new Promise((resolve) => server?.close(resolve));
  });
  return { bed, front };
}

type Result = { user?: { email: string } | null; error?: { name: string; code: string; status?: number; detail?: string } };

/** Opens the app and waits until its completeRedirectSignIn has settled; returns what it resolved or rejected with. */
async function appResult(page: Page): Promise<Result> {
  await page.waitForSelector('body[data-done=true]', { state: 'attached' });
  return JSON.parse((await page.getAttribute('body', 'data-result'))!) as Result;
}

/** Clicks the app's button (signInWithRedirect) and waits for the provider's login page. */
async function startFromTheApp(page: Page, bed: RedirectTestbed, front: Frontend): Promise<void> {
  await page.goto(`${front.origin}/app`);
  await appResult(page);
  await page.click('#sign-in');
  await page.waitForURL((url) => url.origin === bed.provider.issuer);
}

/** The provider's development login (any name) and consent, until the browser is back on the app. */
async function logInAtTheProvider(page: Page, front: Frontend, login: string): Promise<void> {
  await page.fill('input[name=login]', login);
  await page.fill('input[name=password]', 'any');
  await page.click('button[type=submit]');
  while (!page.url().startsWith(front.origin)) {
    await page.waitForLoadState();
    if (page.url().startsWith(front.origin)) break;
    await page.click('button[type=submit]');
    await page.waitForURL((url) => !url.pathname.includes('/interaction/') || url.origin === front.origin, { timeout: 10_000 }).catch(() => undefined);
  }
}

/** The app's client in `page`, as the test's tsconfig (no DOM types) can call it. */
type InPage = {
  auth: {
    getSnapshot(): { status: string; user: { email: string } | null };
    getUser(): Promise<{ email: string } | null>;
    fetch(url: string): Promise<{ status: number; json(): Promise<{ email: string }> }>;
  };
  signInWithRedirect(auth: unknown, provider: string, options: { returnTo: string; navigate?: boolean }): string;
  completeRedirectSignIn(auth: unknown, url?: string): Promise<unknown>;
};
/** The page's globals; page functions run in the browser, so each reads them itself. */
type AppGlobals = { cathouse: InPage };

describe.each(['bearer', 'cookie'] as const)('%s mode', (mode) => {
  const { bed, front } = useFrontend(mode);
  let context: BrowserContext;
  beforeEach(async () => {
    context = await browser.newContext();
  });
  afterEach(async () => {
    await context?.close();
  });

  it('signInWithRedirect and completeRedirectSignIn sign in every tab; the code leaves the address bar and a reused one is invalid_grant', async () => {
    const otherTab = await context.newPage();
    await otherTab.goto(`${front.origin}/app`);
    expect(await appResult(otherTab)).toEqual({ user: null });

    const page = await context.newPage();
    const landings: string[] = [];
    const exchanges: string[] = [];
    page.on('request', (r) => void (r.isNavigationRequest() && r.url().startsWith(`${front.origin}/app?`) && landings.push(r.url())));
    page.on('request', (r) => void (r.url().endsWith('/redirect/exchange') && r.method() === 'POST' && exchanges.push(r.url())));
    await startFromTheApp(page, bed, front);
    await logInAtTheProvider(page, front, `${mode}-mia`);

    expect(await appResult(page)).toEqual({ user: expect.objectContaining({ email: `${mode}-mia@players.example` }) });
    // The service answered with a one-time code on the return URL; the package removed it (and kept the app's own query).
    expect(landings).toHaveLength(1);
    const code = new URL(landings[0]!).searchParams.get('code');
    expect(code).toEqual(expect.any(String));
    expect(page.url()).toBe(front.returnTo);
    expect(exchanges).toHaveLength(1);
    // The session is usable, and the other tab was told.
    const me = await page.evaluate(async (apiBase) => {
      const res = await (globalThis as unknown as AppGlobals).cathouse.auth.fetch(`${apiBase}/me`);
      return { status: res.status, email: (await res.json()).email };
    }, `${bed.origin}/api/v1/auth`);
    expect(me).toEqual({ status: 200, email: `${mode}-mia@players.example` });
    await otherTab.waitForFunction(() => (globalThis as unknown as AppGlobals).cathouse.auth.getSnapshot().status === 'signedIn');
    expect(await otherTab.evaluate(() => (globalThis as unknown as AppGlobals).cathouse.auth.getSnapshot().user?.email)).toBe(`${mode}-mia@players.example`);
    if (mode === 'cookie') {
      expect((await context.cookies(bed.origin)).find((c) => c.name === '__Host-refresh_token')).toEqual(expect.objectContaining({ httpOnly: true }));
    }

    // A reload finds no answer in the URL: nothing is spent again, and the session is still there.
    await page.reload();
    expect(await appResult(page)).toEqual({ user: null });
    expect(await page.evaluate(() => (globalThis as unknown as AppGlobals).cathouse.auth.getUser().then((u) => u?.email))).toBe(`${mode}-mia@players.example`);

    // The same code again (the URL as a native app passes it): refused, and this session stays.
    const reused = await page.evaluate(
      (url) =>
        (globalThis as unknown as AppGlobals).cathouse
          .completeRedirectSignIn((globalThis as unknown as AppGlobals).cathouse.auth, url)
          .then(
            () => 'resolved',
            (err: { name: string; code: string; status: number }) => ({ name: err.name, code: err.code, status: err.status }),
          ),
      landings[0]!,
    );
    expect(reused).toEqual({ name: 'AuthError', code: 'invalid_grant', status: 400 });
    expect(await page.evaluate(() => (globalThis as unknown as AppGlobals).cathouse.auth.getSnapshot().status)).toBe('signedIn');
  });

  it("the provider's refusal (the user cancels) rejects completeRedirectSignIn with AuthError access_denied; the error leaves the address bar", async () => {
    const page = await context.newPage();
    await startFromTheApp(page, bed, front);
    await page.click('a:has-text("Cancel")');
    await page.waitForURL((url) => url.origin === front.origin);

    const result = await appResult(page);
    expect(result.error).toEqual({ name: 'AuthError', code: 'access_denied', detail: expect.stringContaining('End-User aborted interaction') });
    expect(page.url()).toBe(front.returnTo);
    expect(await page.evaluate(() => (globalThis as unknown as AppGlobals).cathouse.auth.getSnapshot().status)).toBe('signedOut');
  });

  it('signInWithRedirect with navigate: false only returns the start URL (for WebBrowser.openAuthSessionAsync)', async () => {
    const page = await context.newPage();
    await page.goto(`${front.origin}/app`);
    await appResult(page);
    const url = await page.evaluate((returnTo) => (globalThis as unknown as AppGlobals).cathouse.signInWithRedirect((globalThis as unknown as AppGlobals).cathouse.auth, 'acme', { returnTo, navigate: false }), front.returnTo);
    expect(url).toBe(`${bed.origin}/api/v1/auth/redirect/acme?return_to=${encodeURIComponent(front.returnTo)}`);
    expect(page.url()).toBe(`${front.origin}/app`);
  });
});
