/**
 * Five tabs of one session in real Chromium, driving the example app's own client, with access
 * tokens of 3 seconds and REFRESH_REUSE_INTERVAL_SECONDS=0: the service gives no grace, so a tab
 * that refreshed with a token another tab had already rotated would end the session for all.
 */
import type { Browser, BrowserContext, Page, Route } from 'playwright-core';
import { sessionIdOf } from './support/auth-service';
import { buildPackageForTest, callMeInALoop, launchChromium, openExample, screenshot, type LoopResult } from './support/chromium';
import { startStack, type Stack } from './support/stack';

const TABS = 5;
const LOOP_MS = 5_000;
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

/** Opens `count` tabs of the example app in one browser context (one profile: shared storage, locks, channels). */
async function openTabs(context: BrowserContext, url: string, count: number): Promise<Page[]> {
  const tabs: Page[] = [];
  for (let i = 0; i < count; i++) tabs.push(await openExample(await context.newPage(), url));
  return tabs;
}

async function registerIn(tab: Page, label: string): Promise<void> {
  await tab.fill('#register-form [name=email]', `${label}-${Date.now().toString(36)}@cathouse.example`);
  await tab.fill('#register-form [name=password]', PASSWORD);
  await tab.click('#register-form button');
  await tab.waitForSelector('body[data-state=signed-in]');
}

function accessTokenIn(tab: Page): Promise<string> {
  return tab.evaluate(() => (globalThis as unknown as { cathouse: { auth: { getAccessToken(): Promise<string> } } }).cathouse.auth.getAccessToken());
}

/**
 * Makes the tab refresh now (as after a 401), with its refresh request stuck before it leaves the
 * page; resolves once the tab holds the lock and is waiting on that request.
 */
async function startRefreshThatNeverLeaves(tab: Page): Promise<void> {
  await tab.evaluate(() => {
    const { auth } = (globalThis as unknown as { cathouse: { auth: { getAccessToken(o?: object): Promise<string> } } }).cathouse;
    const realFetch = globalThis.fetch;
    return new Promise<void>((stuck) => {
      globalThis.fetch = (input, init) => {
        if (String(input).endsWith('/refresh')) {
          stuck();
          return new Promise<Response>(() => undefined);
        }
        return realFetch(input, init);
      };
      void auth.getAccessToken().then((token) => auth.getAccessToken({ rejectedToken: token }));
    });
  });
}

/** Every tab kept the session: no sign-out, no error, every call answered 200, and all on one session. */
function expectNoTabLostTheSession(results: LoopResult[], sessionId: string): void {
  for (const result of results) {
    expect({ signedOut: result.signedOut, errors: result.errors, statuses: result.statuses, sid: result.sid }).toEqual({
      signedOut: [],
      errors: [],
      statuses: {},
      sid: sessionId,
    });
    expect(result.ok).toBeGreaterThan(10);
  }
}

describe.each(['bearer', 'cookie'] as const)('five tabs of one session (%s mode)', (mode) => {
  let stack: Stack;
  let context: BrowserContext;

  beforeAll(async () => {
    stack = await startStack({ packageDir: build.dir, mode, accessTokenTtlSeconds: 3, env: { REFRESH_REUSE_INTERVAL_SECONDS: '0' } });
  });
  afterAll(async () => {
    await stack?.close();
  });
  beforeEach(async () => {
    context = await browser.newContext();
  });
  afterEach(async () => {
    await context?.close();
  });

  it('each calling /me in a loop while tokens expire every 3 s: zero sign-outs, one session, one live refresh token', async () => {
    const [first, ...others] = await openTabs(context, stack.example.url, 1);
    await registerIn(first!, `tabs-${mode}`);
    others.push(...(await openTabs(context, stack.example.url, TABS - 1)));
    const tabs = [first!, ...others];
    const sessionId = sessionIdOf(await accessTokenIn(first!));

    const results = await Promise.all(tabs.map((tab) => callMeInALoop(tab, stack.service.apiBase, LOOP_MS)));

    expectNoTabLostTheSession(results, sessionId);
    const counts = await stack.service.refreshTokenCounts(sessionId);
    expect(counts).toMatchObject({ live: 1, revoked: false });
    // The loop outlived the tokens several times, and the tabs took each other's refreshes.
    expect(counts.total).toBeGreaterThanOrEqual(3);
    const refreshes = results.reduce((sum, r) => sum + r.refreshed, 0);
    expect(refreshes).toBeLessThanOrEqual(counts.total - 1);
    expect(results.reduce((sum, r) => sum + r.refreshedByOtherTabs, 0)).toBeGreaterThan(0);
    await screenshot(tabs[TABS - 1]!, `multi-tab-${mode}-after-loop`);
  });

  it('a tab closed in the middle of its refresh (holding the lock, its request not yet out): the others take over, nobody is signed out', async () => {
    const [first] = await openTabs(context, stack.example.url, 1);
    await registerIn(first!, `closed-${mode}`);
    const tabs = [first!, ...(await openTabs(context, stack.example.url, TABS - 1))];
    const sessionId = sessionIdOf(await accessTokenIn(first!));
    const victim = tabs[2]!;
    const survivors = tabs.filter((tab) => tab !== victim);

    const loops = survivors.map((tab) => callMeInALoop(tab, stack.service.apiBase, LOOP_MS));
    await startRefreshThatNeverLeaves(victim);
    // Long enough for the other tabs' tokens to expire and their refreshes to queue behind the victim's lock.
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    await victim.close({ runBeforeUnload: false });

    const results = await Promise.all(loops);
    expectNoTabLostTheSession(results, sessionId);
    expect(await stack.service.refreshTokenCounts(sessionId)).toMatchObject({ live: 1, revoked: false });
  });

  it('logout in one tab signs out every tab', async () => {
    const [first] = await openTabs(context, stack.example.url, 1);
    await registerIn(first!, `logout-${mode}`);
    const tabs = [first!, ...(await openTabs(context, stack.example.url, TABS - 1))];
    const sessionId = sessionIdOf(await accessTokenIn(first!));
    await Promise.all(tabs.map((tab) => tab.waitForSelector('body[data-state=signed-in]')));

    await tabs[3]!.click('#logout-button');

    await Promise.all(tabs.map((tab) => tab.waitForSelector('body[data-state=signed-out]')));
    for (const tab of tabs) {
      const code = await tab.evaluate(() =>
        (globalThis as unknown as { cathouse: { auth: { getAccessToken(): Promise<string> } } }).cathouse.auth
          .getAccessToken()
          .then(() => 'still signed in', (err: { code: string }) => err.code),
      );
      expect(code).toBe('signed_out');
    }
    expect(await tabs[0]!.locator('#events').textContent()).toContain('signedOut: logout (other tab)');
    expect((await stack.service.refreshTokenCounts(sessionId)).revoked).toBe(true);
    await screenshot(tabs[0]!, `multi-tab-${mode}-signed-out-by-other-tab`);
  });
});

describe('offline for a moment (bearer mode)', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ packageDir: build.dir, mode: 'bearer', env: { REFRESH_REUSE_INTERVAL_SECONDS: '0' } });
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('a refresh that cannot reach the service rejects with network_error and signs no tab out; back online it refreshes', async () => {
    const context = await browser.newContext();
    try {
      const [first] = await openTabs(context, stack.example.url, 1);
      await registerIn(first!, 'offline');
      const tabs = [first!, ...(await openTabs(context, stack.example.url, 1))];
      const sessionId = sessionIdOf(await accessTokenIn(first!));
      const forceRefresh = (tab: Page) =>
        tab.evaluate(async () => {
          const { auth } = (globalThis as unknown as { cathouse: { auth: { getAccessToken(o?: object): Promise<string> } } }).cathouse;
          return auth.getAccessToken({ rejectedToken: await auth.getAccessToken() }).then(
            (token) => `token for ${JSON.parse(atob(token.split('.')[1]!.replace(/-/g, '+').replace(/_/g, '/'))).sid}`,
            (err: { code: string }) => err.code,
          );
        });

      await context.setOffline(true);
      expect(await forceRefresh(tabs[0]!)).toBe('network_error');
      await context.setOffline(false);
      for (const tab of tabs) {
        expect(await tab.getAttribute('body', 'data-state')).toBe('signed-in');
        expect(await tab.locator('#events').textContent()).not.toContain('signedOut');
      }
      expect(await forceRefresh(tabs[1]!)).toBe(`token for ${sessionId}`);
      expect(await stack.service.refreshTokenCounts(sessionId)).toEqual({ live: 1, total: 2, revoked: false });
    } finally {
      await context.close();
    }
  });
});

describe('a tab whose refresh reached the service but whose answer never came back (bearer mode)', () => {
  let context: BrowserContext;
  beforeEach(async () => {
    context = await browser.newContext();
  });
  afterEach(async () => {
    await context?.close();
  });

  /** Three tabs; the victim's refresh is sent to the service (which rotates), then the answer is dropped and the tab closed. */
  async function loseARotatedToken(stack: Stack) {
    const [first] = await openTabs(context, stack.example.url, 1);
    await registerIn(first!, 'lost-answer');
    const tabs = [first!, ...(await openTabs(context, stack.example.url, 2))];
    const sessionId = sessionIdOf(await accessTokenIn(first!));
    const victim = tabs[1]!;
    const rotated = new Promise<void>((resolve) => {
      void victim.route('**/api/v1/auth/refresh', async (route: Route) => {
        const answer = await route.fetch();
        expect(answer.status()).toBe(200);
        await route.abort('connectionreset');
        resolve();
      });
    });
    void victim
      .evaluate(async () => {
        const { auth } = (globalThis as unknown as { cathouse: { auth: { getAccessToken(o?: object): Promise<string> } } }).cathouse;
        await auth.getAccessToken({ rejectedToken: await auth.getAccessToken() });
      })
      .catch(() => undefined);
    await rotated;
    await victim.close({ runBeforeUnload: false });
    const survivors = tabs.filter((tab) => tab !== victim);
    return { sessionId, results: await Promise.all(survivors.map((tab) => callMeInALoop(tab, stack.service.apiBase, 3_000))) };
  }

  it('with REFRESH_REUSE_INTERVAL_SECONDS=0 the old token is reuse: the session ends, and every tab is told', async () => {
    const stack = await startStack({ packageDir: build.dir, mode: 'bearer', accessTokenTtlSeconds: 3, env: { REFRESH_REUSE_INTERVAL_SECONDS: '0' } });
    try {
      const { sessionId, results } = await loseARotatedToken(stack);
      for (const result of results) {
        expect(result.signedOut).toEqual([{ reason: 'session_ended', fromOtherTab: expect.any(Boolean) }]);
        expect(result.sid).toBeNull();
      }
      expect(results.map((r) => r.signedOut[0]!.fromOtherTab).sort()).toEqual([false, true]);
      expect((await stack.service.refreshTokenCounts(sessionId)).revoked).toBe(true);
    } finally {
      await stack.close();
    }
  });

  it('with the default reuse interval (10 s) the next tab gets the same rotation: nobody is signed out', async () => {
    const stack = await startStack({ packageDir: build.dir, mode: 'bearer', accessTokenTtlSeconds: 3 });
    try {
      const { sessionId, results } = await loseARotatedToken(stack);
      expectNoTabLostTheSession(results, sessionId);
      expect(await stack.service.refreshTokenCounts(sessionId)).toMatchObject({ live: 1, revoked: false });
    } finally {
      await stack.close();
    }
  });
});

describe('when the new tokens reach a tab late (a slow channel, memory storage)', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ packageDir: build.dir, mode: 'bearer', env: { REFRESH_REUSE_INTERVAL_SECONDS: '0' } });
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('the next lock holder waits for them (the generation journal) instead of spending the rotated refresh token', async () => {
    const context = await browser.newContext();
    try {
      // Every BroadcastChannel message arrives 500 ms late: later than the lock passes to the next tab.
      await context.addInitScript({
        content: `
          const Real = BroadcastChannel;
          globalThis.BroadcastChannel = class extends Real {
            set onmessage(listener) {
              super.onmessage = listener && ((event) => setTimeout(() => listener.call(this, event), 500));
            }
            get onmessage() {
              return super.onmessage;
            }
          };`,
      });
      const tabs = await openTabs(context, stack.example.url, 2);
      for (const tab of tabs) {
        // A string, so that the test's own compiler leaves the dynamic import alone.
        await tab.evaluate(`import('/auth-browser/index.js').then(({ createAuthClient, memoryStorage }) => {
          globalThis.slowAuth = createAuthClient({ baseUrl: ${JSON.stringify(stack.service.apiBase)}, storage: memoryStorage(), storageKey: 'slow-channel' });
        })`);
      }
      type SlowAuth = { register(i: object): Promise<unknown>; getAccessToken(o?: object): Promise<string> };
      await tabs[0]!.evaluate((email) => (globalThis as unknown as { slowAuth: SlowAuth }).slowAuth.register({ email, password: 'correct horse battery staple' }), `slow-${Date.now()}@cathouse.example`);
      // The second tab has the session once the (slow) message arrives.
      await tabs[1]!.evaluate(async () => {
        for (;;) {
          const ok = await (globalThis as unknown as { slowAuth: SlowAuth }).slowAuth.getAccessToken().then(() => true, () => false);
          if (ok) return;
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
      });
      const sessionId = sessionIdOf(await tabs[0]!.evaluate(() => (globalThis as unknown as { slowAuth: SlowAuth }).slowAuth.getAccessToken()));

      // Both tabs get a 401 at once and want a new token.
      const tokens = await Promise.all(
        tabs.map((tab) =>
          tab.evaluate(async () => {
            const auth = (globalThis as unknown as { slowAuth: SlowAuth }).slowAuth;
            return auth.getAccessToken({ rejectedToken: await auth.getAccessToken() }).catch((err: { code: string }) => err.code);
          }),
        ),
      );
      expect(tokens.map((t) => t.length > 100)).toEqual([true, true]);
      expect(sessionIdOf(tokens[0]!)).toBe(sessionId);
      expect(await stack.service.refreshTokenCounts(sessionId)).toEqual({ live: 1, total: 2, revoked: false });
    } finally {
      await context.close();
    }
  });
});

/**
 * The lease is best effort (localStorage is not atomic across processes), so this runs with the
 * service's default reuse interval, which absorbs a rare double refresh. It passed 3 of 3 runs with
 * the interval at 0 too, but that is not a guarantee worth a flaky CI run.
 */
describe('in a browser without Web Locks and BroadcastChannel (the fallbacks: a localStorage lease, storage events)', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ packageDir: build.dir, mode: 'bearer', accessTokenTtlSeconds: 3 });
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('five tabs calling /me in a loop: zero sign-outs, one session, one live refresh token', async () => {
    const context = await browser.newContext();
    try {
      await context.addInitScript({ content: 'delete Navigator.prototype.locks; delete globalThis.BroadcastChannel;' });
      const [first] = await openTabs(context, stack.example.url, 1);
      expect(await first!.evaluate(() => (globalThis as unknown as { cathouse: { auth: { coordination: unknown } } }).cathouse.auth.coordination)).toEqual({
        lock: 'storage-lease',
        channel: 'storage-event',
        journal: true,
      });
      await registerIn(first!, 'fallback');
      const tabs = [first!, ...(await openTabs(context, stack.example.url, TABS - 1))];
      const sessionId = sessionIdOf(await accessTokenIn(first!));

      const results = await Promise.all(tabs.map((tab) => callMeInALoop(tab, stack.service.apiBase, LOOP_MS)));

      expectNoTabLostTheSession(results, sessionId);
      const counts = await stack.service.refreshTokenCounts(sessionId);
      expect(counts).toMatchObject({ live: 1, revoked: false });
      expect(counts.total).toBeGreaterThanOrEqual(3);
    } finally {
      await context.close();
    }
  });
});
