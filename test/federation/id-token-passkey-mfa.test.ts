import type { Browser } from 'playwright-core';
import request from 'supertest';
import { bearer } from '../auth/helpers';
import { decodeClaims } from '../auth/installations';
import { launchChromium } from '../browser/support/chromium';
import { passkeyAssertion, registerPasskey, startPasskeyStack, tabWithAuthenticator, type PasskeyStack } from '../browser/support/passkey-pages';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { googleClaims, rawNonce, StandInProvider } from './stand-in-provider';
import { federationEnv, GOOGLE_ANDROID_CLIENT, GOOGLE_WEB_CLIENT, loginSucceededDetail, signInCounts } from './support';

/**
 * Issue 26's "sign in as a second factor" with a passkey, after a provider's sign-in rather than a
 * password (issue 25): a Google ID token (a real signed token from the stand-in provider on
 * loopback) for an account with a passkey answers mfa_required listing it, and the passkey's
 * assertion, made by Chromium's virtual authenticator through the JSON API as a native app or a
 * web frontend would, completes the sign-in: amr fed + hwk (a device-bound platform passkey) +
 * mfa, counted and audited as the Google sign-in. The service listens on http://localhost:<port>,
 * the WebAuthn relying party (browsers refuse an IP address as RP id).
 */
let browser: Browser;
let apple: StandInProvider;
let google: StandInProvider;
let db: TestDatabase;
let stack: PasskeyStack;

beforeAll(async () => {
  browser = await launchChromium();
  apple = await StandInProvider.start('apple');
  google = await StandInProvider.start('google');
  db = await createTestDatabase();
  stack = await startPasskeyStack(db.url, federationEnv(apple, google));
});
afterAll(async () => {
  await browser?.close();
  await stack?.close();
  await db?.drop();
  await apple?.close();
  await google?.close();
});

const api = (path: string) => `/api/v1/auth${path}`;

/** POST id-token with a Google ID token for `claims` (a fresh nonce each time). */
async function googleSignIn(overrides: Record<string, unknown> = {}) {
  const nonce = rawNonce();
  const claims = googleClaims(google, GOOGLE_WEB_CLIENT, GOOGLE_ANDROID_CLIENT, nonce, overrides);
  const res = await request(stack.t.app).post(api('/id-token')).send({ provider: 'google', id_token: await google.sign(claims), nonce });
  return { res, claims };
}

it('a Google sign-in of an account with a passkey asks for it, and the passkey through the JSON API completes it: amr fed, hwk, mfa', async () => {
  const { res: first, claims } = await googleSignIn();
  expect(first.status).toBe(201);
  expect(decodeClaims(first.body.access_token).amr).toEqual(['fed']);
  const userId = (first.body.user as { id: string }).id;
  const tab = await tabWithAuthenticator(browser, stack.url);
  try {
    await registerPasskey(stack.t, tab.page, first.body.access_token);
    const before = await signInCounts(stack.t.app, 'id_token', 'google');

    const { res: asked } = await googleSignIn({ sub: claims.sub, email: claims.email });
    expect(asked.status).toBe(403);
    expect(asked.body).toMatchObject({ error: 'mfa_required', mfa_token: expect.any(String), factors: ['passkey', 'recovery_code'] });
    expect(asked.body.access_token).toBeUndefined();

    // Options for this challenge name the account's passkey only.
    const options = await request(stack.t.app).post(api('/mfa/passkey-options')).send({ mfa_token: asked.body.mfa_token });
    expect(options.status).toBe(200);
    expect(options.body.allowCredentials).toHaveLength(1);
    const assertion = await passkeyAssertion(tab.page, options.body);
    const verified = await request(stack.t.app).post(api('/mfa/verify')).send({ mfa_token: asked.body.mfa_token, passkey: assertion });
    expect(verified.status).toBe(200);
    expect(verified.body.user.id).toBe(userId);
    const tokenClaims = decodeClaims(verified.body.access_token);
    expect(tokenClaims).toMatchObject({ sub: userId, amr: ['fed', 'hwk', 'mfa'], acr: 'urn:cathouse:acr:mfa' });
    // The session is the provider's sign-in finished by the passkey: counted and audited as Google's.
    expect(await signInCounts(stack.t.app, 'id_token', 'google')).toEqual({ provider: before.provider + 1, password: before.password });
    expect(await loginSucceededDetail(stack.t.dataSource, tokenClaims.sid as string)).toEqual({ amr: ['fed', 'hwk', 'mfa'], method: 'id_token', provider: 'google' });
    const me = await request(stack.t.app).get(api('/me')).set(bearer(verified.body.access_token));
    expect(me.status).toBe(200);

    // The challenge is spent with the session: the same assertion (or any) answers it no more.
    const again = await request(stack.t.app).post(api('/mfa/verify')).send({ mfa_token: asked.body.mfa_token, passkey: assertion });
    expect(again.body.error).toBe('invalid_mfa_token');
  } finally {
    await tab.context.close();
  }
});
