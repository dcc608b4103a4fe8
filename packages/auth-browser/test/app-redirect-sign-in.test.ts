import type { Browser } from 'playwright-core';
import request from 'supertest';
import { AuthError, completeRedirectSignIn, createAuthClient, memoryStorage, startAppRedirectSignIn, type AuthClient } from '../src/index.js';
import { launchChromium } from '../../../test/browser/support/chromium.js';
import { APP_RETURN_URL, inAppBrowser, useRedirectTestbed } from '../../../test/federation/redirect-support.js';

/**
 * Redirect sign-in from a native app (issue 25, RFC 8252): the app (here @cathouse/auth-browser
 * under Node, as in React Native, memory storage) opens the start URL in an in-app browser (real
 * Chromium, as WebBrowser.openAuthSessionAsync would), which ends on the app's own scheme with a
 * one-time code. Another app can register the same scheme, so the code is bound to the starting
 * app's PKCE challenge: an interceptor holding only the URL gets invalid_grant, never a session.
 */
const bed = useRedirectTestbed();
let browser: Browser;
const clients: AuthClient[] = [];
beforeAll(async () => {
  browser = await launchChromium();
});
afterAll(async () => {
  for (const client of clients.splice(0)) client.close();
  await browser?.close();
});

function app(): AuthClient {
  const client = createAuthClient({ baseUrl: `${bed.origin}/api/v1/auth`, storage: memoryStorage(), crossTab: false });
  clients.push(client);
  return client;
}


it('an app signs in: the in-app browser ends on its scheme with a code only its own verifier spends', async () => {
  const auth = app();
  const { url, complete } = await startAppRedirectSignIn(auth, 'acme', { returnTo: APP_RETURN_URL });
  const start = new URL(url);
  expect(start.searchParams.get('return_to')).toBe(APP_RETURN_URL);
  expect(start.searchParams.get('code_challenge_method')).toBe('S256');
  expect(start.searchParams.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);

  const answer = await appScheme(url, 'ana');
  expect(answer.startsWith(`${APP_RETURN_URL}?code=`)).toBe(true);
  const user = await complete(answer);
  expect(user).toEqual(expect.objectContaining({ email: 'ana@players.example' }));
  expect(auth.getSnapshot().status).toBe('signedIn');
  const me = await auth.fetch(`${bed.origin}/api/v1/auth/me`);
  expect(me.status).toBe(200);
  // The code was spent: the same URL again is refused, and the session stays.
  await expect(complete(answer)).rejects.toMatchObject({ name: 'AuthError', code: 'invalid_grant' });
  expect(auth.getSnapshot().status).toBe('signedIn');
});

it('an app that claimed the same scheme gets the URL but no session: without or with a wrong verifier it is invalid_grant, and the code is spent', async () => {
  const auth = app();
  const { url, complete } = await startAppRedirectSignIn(auth, 'acme', { returnTo: APP_RETURN_URL });
  const answer = await appScheme(url, 'bea');

  const interceptor = app();
  const refused = await completeRedirectSignIn(interceptor, answer).catch((err: unknown) => err);
  expect(refused).toBeInstanceOf(AuthError);
  expect(refused).toMatchObject({ code: 'invalid_grant', status: 400 });
  expect(interceptor.getSnapshot().status).toBe('signedOut');
  // One try only: the interceptor's attempt spent the code, so the verifier cannot be guessed at leisure.
  await expect(complete(answer)).rejects.toMatchObject({ code: 'invalid_grant' });
  const sessions = await bed.app.dataSource.query(`SELECT count(*)::int AS n FROM auth.sessions s JOIN auth.users u ON u.id = s.user_id WHERE u.email = 'bea@players.example'`);
  expect(sessions).toEqual([{ n: 0 }]);

  // A wrong verifier (right shape) is refused the same way.
  const second = await startAppRedirectSignIn(auth, 'acme', { returnTo: APP_RETURN_URL });
  const code = new URL((await appScheme(second.url, 'bea')).replace(/^[^:]+:/, 'http://app.invalid')).searchParams.get('code');
  const wrong = await request(bed.origin).post('/api/v1/auth/redirect/exchange').send({ code, code_verifier: 'x'.repeat(43) });
  expect(wrong.status).toBe(400);
  expect(wrong.body.error).toBe('invalid_grant');
});

/** The in-app browser signs in at the provider as `login`: our callback's 303 and the app-scheme URL it sends the browser to. */
async function appScheme(url: string, login: string): Promise<string> {
  const callback = await inAppBrowser(browser, bed.provider.issuer, url, login);
  expect(callback.status()).toBe(303);
  return callback.headers().location!;
}
