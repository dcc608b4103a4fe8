import type { Browser } from 'playwright-core';
import request from 'supertest';
import { bearer } from '../auth/helpers';
import { decodeClaims } from '../auth/installations';
import { launchChromium } from '../browser/support/chromium';
import { totpCode } from '../factors/support';
import { throughProvider, useRedirectTestbed } from './redirect-support';
import { loginSucceededDetail, signInCounts } from './support';

/**
 * Issue 26 item 4 for web redirect sign-in: in real Chromium, through a real OpenID provider on
 * loopback, a player whose account has an authenticator app comes back to the frontend, whose
 * POST redirect/exchange answers 403 mfa_required (no session, the one-time code spent), and POST
 * mfa/verify then starts the session with amr fed, otp, mfa, counted and audited as the redirect
 * sign-in it finishes.
 */
const clock = { now: Date.UTC(2026, 0, 1) };
const bed = useRedirectTestbed({}, { factorClock: () => clock.now });
const api = (path: string) => `/api/v1/auth${path}`;

let browser: Browser;
beforeAll(async () => {
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
});


/** A redirect sign-in as `login` in a fresh browser: what the frontend page's POST redirect/exchange answered, and the code it spent. */
async function redirectSignIn(login: string): Promise<{ status: number; body: Record<string, unknown>; code: string }> {
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    await page.goto(`${bed.origin}${api('/redirect/acme')}?return_to=${encodeURIComponent(bed.frontend)}`);
    await throughProvider(page, bed.provider.issuer, bed.origin, login);
    await page.waitForSelector('body[data-done=true]', { state: 'attached' });
    return {
      status: Number(await page.getAttribute('body', 'data-status')),
      body: JSON.parse((await page.getAttribute('body', 'data-result'))!) as Record<string, unknown>,
      code: new URL(page.url()).searchParams.get('code')!,
    };
  } finally {
    await context.close();
  }
}

const sessionCount = async (userId: string) => Number((await bed.app.dataSource.query(`SELECT count(*) AS n FROM auth.sessions WHERE user_id = $1`, [userId]))[0].n);

it('an account with an authenticator app: the exchange answers mfa_required and spends the code, a wrong code is refused, the right one gives amr fed, otp, mfa', async () => {
  const signedUp = await redirectSignIn('whiskers');
  expect(signedUp.status).toBe(200);
  const accessToken = signedUp.body.access_token as string;
  const userId = (signedUp.body.user as { id: string }).id;
  expect(decodeClaims(accessToken).amr).toEqual(['fed']);
  const begun = await request(bed.app.app).post(api('/me/totp')).set(bearer(accessToken));
  const secret = begun.body.secret as string;
  expect((await request(bed.app.app).post(api('/me/totp/confirm')).set(bearer(accessToken)).send({ code: totpCode(secret, clock.now) })).status).toBe(200);
  clock.now += 30_000;
  const sessionsBefore = await sessionCount(userId);
  const countsBefore = await signInCounts(bed.app.app, 'redirect', 'acme');

  const asked = await redirectSignIn('whiskers');
  expect(asked.status).toBe(403);
  expect(asked.body).toMatchObject({ error: 'mfa_required', mfa_token: expect.any(String), expires_in: expect.any(Number), factors: ['totp', 'recovery_code'] });
  expect(asked.body.access_token).toBeUndefined();
  expect(await sessionCount(userId)).toBe(sessionsBefore);
  expect(await signInCounts(bed.app.app, 'redirect', 'acme')).toEqual(countsBefore);
  // The one-time code stays single use: spent by the answer that asked for the second factor.
  const replay = await request(bed.app.app).post(api('/redirect/exchange')).send({ code: asked.code });
  expect(replay.status).toBe(400);
  expect(replay.body.error).toBe('invalid_grant');

  const wrong = await request(bed.app.app).post(api('/mfa/verify')).send({ mfa_token: asked.body.mfa_token, totp_code: totpCode(secret, clock.now + 10 * 30_000) });
  expect(wrong.status).toBe(401);
  expect(wrong.body.error).toBe('invalid_credentials');
  expect(await sessionCount(userId)).toBe(sessionsBefore);

  const verified = await request(bed.app.app).post(api('/mfa/verify')).send({ mfa_token: asked.body.mfa_token, totp_code: totpCode(secret, clock.now) });
  expect(verified.status).toBe(200);
  expect(decodeClaims(verified.body.access_token)).toMatchObject({ sub: userId, amr: ['fed', 'otp', 'mfa'], acr: 'urn:cathouse:acr:mfa' });
  expect(await sessionCount(userId)).toBe(sessionsBefore + 1);
  // Counted and audited as the redirect sign-in it finishes (as one without a second factor is), not as a password login.
  expect(await signInCounts(bed.app.app, 'redirect', 'acme')).toEqual({ provider: countsBefore.provider + 1, password: countsBefore.password });
  const sessionId = decodeClaims(verified.body.access_token).sid as string;
  expect(await loginSucceededDetail(bed.app.dataSource, sessionId)).toEqual({ amr: ['fed', 'otp', 'mfa'], method: 'redirect', provider: 'acme' });
});

it('an account without a second factor still gets its tokens from the exchange at once', async () => {
  const signedIn = await redirectSignIn('mittens');
  expect(signedIn.status).toBe(200);
  expect(decodeClaims(signedIn.body.access_token as string).amr).toEqual(['fed']);
});
