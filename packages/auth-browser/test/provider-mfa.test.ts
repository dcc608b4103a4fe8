import type { Browser } from 'playwright-core';
import { Secret, TOTP } from 'otpauth';
import { AuthError, confirmTotp, createAuthClient, enrolTotp, memoryStorage, startAppRedirectSignIn, withIdToken, withMfa, type AuthClient } from '../src/index.js';
import { launchChromium } from '../../../test/browser/support/chromium.js';
import { APP_RETURN_URL, inAppBrowser, useRedirectTestbed } from '../../../test/federation/redirect-support.js';
import { appleClaims, rawNonce, StandInProvider } from '../../../test/federation/stand-in-provider.js';

/**
 * Issue 26 item 4 through the client, under Node as in the Expo app: a provider sign-in (a native
 * ID token, a native app's redirect sign-in) of an account with an authenticator app rejects with
 * AuthError `mfa_required` carrying the challenge, exactly as a password sign-in does, and
 * `withMfa` completes it. Against the real service: an Apple stand-in issuing real signed ID
 * tokens, a real OpenID provider on loopback and real Chromium as the in-app browser.
 */
const APPLE_CLIENT = 'com.cathouse.app';
const clock = { now: Date.UTC(2026, 0, 1) };
// Filled before the testbed's beforeAll reads it (beforeAll hooks run in order).
const env: Record<string, string> = {};
let apple: StandInProvider;
beforeAll(async () => {
  apple = await StandInProvider.start('apple');
  Object.assign(env, { APPLE_CLIENT_IDS: APPLE_CLIENT, APPLE_ISSUER: apple.issuer, APPLE_JWKS_URI: apple.jwksUri });
});
const bed = useRedirectTestbed(env, { factorClock: () => clock.now });
let browser: Browser;
const clients: AuthClient[] = [];
beforeAll(async () => {
  browser = await launchChromium();
});
afterAll(async () => {
  for (const client of clients.splice(0)) client.close();
  await browser?.close();
  await apple?.close();
});

function device(): AuthClient {
  const client = createAuthClient({ baseUrl: `${bed.origin}/api/v1/auth`, storage: memoryStorage(), crossTab: false });
  clients.push(client);
  return client;
}

const code = (secret: string) => new TOTP({ secret: Secret.fromBase32(secret), algorithm: 'SHA1', digits: 6, period: 30 }).generate({ timestamp: clock.now });
const amr = async (client: AuthClient) => (JSON.parse(Buffer.from((await client.getAccessToken()).split('.')[1]!, 'base64url').toString()) as { amr: string[] }).amr;

/** Sets up an authenticator app on the signed-in client: its secret (the clock moves past the confirming code). */
async function withAuthenticator(client: AuthClient): Promise<string> {
  const { secret } = await enrolTotp(client);
  await confirmTotp(client, code(secret));
  clock.now += 30_000;
  return secret;
}

/** The rejection of `signing`, which must be AuthError mfa_required with the challenge, leaving the client signed out. */
async function mfaRequired(client: AuthClient, signing: Promise<unknown>): Promise<string> {
  const refused = await signing.catch((err: unknown) => err);
  expect(refused).toBeInstanceOf(AuthError);
  expect(refused).toMatchObject({ code: 'mfa_required', status: 403, data: { mfa_token: expect.any(String), factors: ['totp', 'recovery_code'] } });
  expect(client.getSnapshot().status).toBe('signedOut');
  return String((refused as AuthError).data!.mfa_token);
}

it('withIdToken of an account with an authenticator app rejects with mfa_required, and withMfa signs in with amr fed, otp, mfa', async () => {
  const claims = appleClaims(apple, APPLE_CLIENT, rawNonce());
  const signIn = async () => {
    const nonce = rawNonce();
    return withIdToken('apple', await apple.sign(appleClaims(apple, APPLE_CLIENT, nonce, { sub: claims.sub, email: claims.email })), nonce);
  };
  const phone = device();
  await phone.signIn(await signIn());
  const secret = await withAuthenticator(phone);

  const tablet = device();
  const mfaToken = await mfaRequired(tablet, tablet.signIn(await signIn()));
  const user = await tablet.signIn(withMfa(mfaToken, { totp_code: code(secret) }));
  expect(user.email).toBe(claims.email);
  expect(await amr(tablet)).toEqual(['fed', 'otp', 'mfa']);
});


it("a native app's redirect sign-in of an account with an authenticator app: complete() rejects with mfa_required, and withMfa signs in", async () => {
  const phone = device();
  const first = await startAppRedirectSignIn(phone, 'acme', { returnTo: APP_RETURN_URL });
  await first.complete(await appScheme(first.url, 'tabby'));
  const secret = await withAuthenticator(phone);

  const tablet = device();
  const again = await startAppRedirectSignIn(tablet, 'acme', { returnTo: APP_RETURN_URL });
  const mfaToken = await mfaRequired(tablet, again.complete(await appScheme(again.url, 'tabby')));
  const user = await tablet.signIn(withMfa(mfaToken, { totp_code: code(secret) }));
  expect(user.email).toBe('tabby@players.example');
  expect(await amr(tablet)).toEqual(['fed', 'otp', 'mfa']);
});

/** The in-app browser signs in at the provider as `login`: the app-scheme URL our callback sends it to. */
const appScheme = async (url: string, login: string) => (await inAppBrowser(browser, bed.provider.issuer, url, login)).headers().location!;
