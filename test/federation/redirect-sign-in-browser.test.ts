import type { Browser, Page } from 'playwright-core';
import { launchChromium } from '../browser/support/chromium';
import { register } from '../auth/helpers';
import { providerLoginToFrontend, useRedirectTestbed, type RedirectTestbed } from './redirect-support';
import { metricValue } from './support';

/**
 * Web redirect sign-in (issue 25 item 2) in real Chromium against a real OpenID provider on
 * loopback: our start URL → the provider's login and consent → our callback → the allow-listed
 * frontend URL, whose page exchanges the one-time code and is signed in. Both browser modes.
 */
let browser: Browser;
beforeAll(async () => {
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
});

/** Goes through the provider's development login (any name) and consent, and waits for the frontend page's result. */
async function signInThroughProvider(page: Page, bed: RedirectTestbed, login: string): Promise<Record<string, string | undefined>> {
  await page.goto(`${bed.origin}/api/v1/auth/redirect/acme?return_to=${encodeURIComponent(bed.frontend)}`);
  return providerLoginToFrontend(page, bed.provider.issuer, bed.frontend, login);
}

describe('bearer mode', () => {
  const bed = useRedirectTestbed();

  it('signs up through the provider, lands on the frontend URL with a one-time code (no token in the URL) and is signed in', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const callbacks: string[] = [];
    page.on('request', (r) => void (r.url().includes('/api/v1/auth/redirect/callback') && callbacks.push(r.url())));
    const result = await signInThroughProvider(page, bed, 'mia');
    const landed = new URL(page.url());
    expect(landed.origin + landed.pathname).toBe(bed.frontend);
    expect([...landed.searchParams.keys()]).toEqual(['code']);
    expect(landed.hash).toBe('');
    expect(result.status).toBe('200');
    const body = JSON.parse(result.result!) as Record<string, unknown>;
    expect(body).toEqual(expect.objectContaining({ token_type: 'Bearer', access_token: expect.any(String), refresh_token: expect.any(String) }));
    const me = JSON.parse(result.me!) as { email: string };
    expect(me.email).toBe('mia@players.example');
    // The identity is linked: the same provider account signs in to the same user again.
    const identities = await bed.app.dataSource.query(`SELECT i.provider, u.email FROM auth.identities i JOIN auth.users u ON u.id = i.user_id WHERE i.subject = 'mia'`);
    expect(identities).toEqual([{ provider: 'acme', email: 'mia@players.example' }]);
    // Spent: the same code a second time is refused.
    const again = await page.evaluate(async (code) => {
      const r = await fetch('/api/v1/auth/redirect/exchange', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ code }) });
      return { status: r.status, body: (await r.json()) as { error?: string } };
    }, landed.searchParams.get('code'));
    expect(again).toEqual({ status: 400, body: expect.objectContaining({ error: 'invalid_grant' }) });
    // The provider's callback replayed in the same browser: the state cookie is gone, so no new code.
    expect(callbacks).toHaveLength(1);
    await page.goto(callbacks[0]!);
    const replayed = new URL(page.url());
    expect(replayed.searchParams.get('error')).toBe('invalid_request');
    expect(replayed.searchParams.get('code')).toBeNull();
    await context.close();
  });

  it("a sign-up from a Spanish browser keeps es, the callback's Accept-Language (issue 30)", async () => {
    const context = await browser.newContext({ locale: 'es-ES' });
    const result = await signInThroughProvider(await context.newPage(), bed, 'ana');
    await context.close();
    expect(result.status).toBe('200');
    expect(JSON.parse(result.me!)).toMatchObject({ email: 'ana@players.example', locale: 'es' });
  });

  it('a sign-in that finds an unproven password account of its address counts the takeover defence and the link', async () => {
    await register(bed.app.app, 'sol@players.example', 'squatters own password 123');
    const changes = async () => ({
      linked: await metricValue(bed.app.app, 'auth_identity_changes_total{action="linked"}'),
      takeoverDefence: await metricValue(bed.app.app, 'auth_identity_changes_total{action="takeover_defence"}'),
    });
    const before = await changes();
    const context = await browser.newContext();
    const result = await signInThroughProvider(await context.newPage(), bed, 'sol');
    await context.close();
    expect(result.status).toBe('200');
    expect(await changes()).toEqual({ linked: before.linked + 1, takeoverDefence: before.takeoverDefence + 1 });
  });
});

describe('cookie mode', () => {
  const bed = useRedirectTestbed({ REFRESH_TOKEN_COOKIE: 'true' });

  it('signs in through the provider and the refresh token arrives in the HttpOnly cookie, not the body', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const result = await signInThroughProvider(page, bed, 'leo');
    expect(result.status).toBe('200');
    const body = JSON.parse(result.result!) as Record<string, unknown>;
    expect(body.access_token).toEqual(expect.any(String));
    expect(body.refresh_token).toBeUndefined();
    expect(JSON.parse(result.me!)).toEqual(expect.objectContaining({ email: 'leo@players.example' }));
    const cookies = await context.cookies(bed.origin);
    expect(cookies.find((c) => c.name === '__Host-refresh_token')).toEqual(expect.objectContaining({ httpOnly: true }));
    // The state cookie is gone once the callback ran.
    expect(cookies.find((c) => c.name === '__Host-redirect_state')).toBeUndefined();
    const refreshed = await page.evaluate(async () => {
      const r = await fetch('/api/v1/auth/refresh', { method: 'POST', headers: { 'content-type': 'application/json', 'x-requested-with': 'fetch' }, body: '{}' });
      return r.status;
    });
    expect(refreshed).toBe(200);
    await context.close();
  });
});
