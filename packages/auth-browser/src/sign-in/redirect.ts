import type { AuthApi } from '../auth-api.js';
import { browser } from '../browser-globals.js';
import { AuthError } from '../errors.js';
import type { AuthUser } from '../types.js';
import type { SignInMethod } from './sign-in-method.js';

// Web redirect sign-in with an OpenID provider the service is configured with (docs/api.md, "Web redirect
// sign-in"). Functions taking the client rather than methods of it, like factors.ts: an app that never
// signs in this way (a native app with withIdToken) does not carry them in its bundle.

/** The part of AuthClient these need (typed here so that the client and this file do not import each other). */
interface Client {
  readonly api: AuthApi;
  signIn(method: SignInMethod): Promise<AuthUser>;
}

/** What the service adds to the return URL: `?code=`, or `?error=&error_description=`. */
const ANSWER = ['code', 'error', 'error_description'];

/**
 * Starts a web redirect sign-in with `provider` (a name in the service's WEB_SIGN_IN_PROVIDERS): the browser goes
 * to the service, the provider, and back to `returnTo` (one of WEB_SIGN_IN_RETURN_URLS, exactly), where
 * `completeRedirectSignIn` finishes. Returns the start URL; navigates to it (`location.assign`) unless
 * `navigate: false` or there is no `location`. A native app uses `startAppRedirectSignIn` instead.
 * Never throws: a provider or return URL the service refuses is its 400 page (`unknown_provider`, `return_to_not_allowed`).
 */
export function signInWithRedirect(auth: Client, provider: string, { returnTo, navigate = true }: { returnTo: string; navigate?: boolean }): string {
  const url = `${auth.api.baseUrl}/redirect/${encodeURIComponent(provider)}?return_to=${encodeURIComponent(returnTo)}`;
  if (navigate) browser.location?.assign(url);
  return url;
}

/**
 * Finishes a redirect sign-in on the return page: spends the `?code=` of `url` (default: the address bar, from which
 * the answer is removed first with history.replaceState, so neither a reload nor the back button sends it again) and
 * signs in every tab. Resolves to the user, or null when `url` carries no answer. Rejects with AuthError only: the
 * service's `?error=` (`access_denied`, `invalid_request`, `temporarily_unavailable`, `account_disabled`,
 * `server_error`; `detail` is its description) or the exchange's (`invalid_grant`: the code was spent or expired;
 * `mfa_required`: the account has a second factor, `data` holds the challenge for `withMfa`, the code is spent).
 */
export async function completeRedirectSignIn(auth: Client, url?: string, codeVerifier?: string): Promise<AuthUser | null> {
  // The base makes "no URL" (no location, nothing passed) a URL without an answer rather than a TypeError.
  const parsed = new URL(url ?? browser.location?.href ?? '', 'a:/');
  const query = parsed.searchParams;
  const [code, error, description] = ANSWER.map((name) => query.get(name) ?? undefined);
  if (url === undefined && (code || error)) {
    ANSWER.forEach((name) => query.delete(name));
    browser.history?.replaceState(browser.history.state, '', parsed.href);
  }
  if (error) throw new AuthError(error, description ?? error, undefined, description);
  return code ? auth.signIn(withRedirectCode(code, codeVerifier)) : null;
}

/** Spends the one-time code of a redirect sign-in (`POST redirect/exchange`): `invalid_grant` when spent, expired, unknown or the verifier is wrong. */
export const withRedirectCode =
  (code: string, codeVerifier?: string): SignInMethod =>
  (api) =>
    api.call('POST', '/redirect/exchange', { body: codeVerifier === undefined ? { code } : { code, code_verifier: codeVerifier } });

/** What a native app needs of Web Crypto; React Native has none built in (pass expo-crypto's, see startAppRedirectSignIn). */
export interface PkceCrypto {
  getRandomValues(bytes: Uint8Array): Uint8Array;
  sha256(bytes: Uint8Array): Promise<ArrayBuffer | Uint8Array>;
}

const base64url = (bytes: Uint8Array) => btoa(String.fromCharCode(...bytes)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');

/**
 * A redirect sign-in from a native app (RFC 8252): `returnTo` is the app's own scheme (`cathouse://auth`, one of
 * WEB_SIGN_IN_RETURN_URLS), which another app could also claim, so the start carries a PKCE challenge and only this
 * call's `complete` (which holds the verifier, in memory) can spend the code the service sends back. Open `url` with
 * `WebBrowser.openAuthSessionAsync(url, returnTo)` and pass the URL it resolves with to `complete`. `crypto` defaults to
 * `globalThis.crypto` (web, Node); on React Native pass `{ getRandomValues: Crypto.getRandomValues, sha256: (b) =>
 * Crypto.digest(Crypto.CryptoDigestAlgorithm.SHA256, b) }` from expo-crypto.
 */
export async function startAppRedirectSignIn(
  auth: Client,
  provider: string,
  { returnTo, crypto }: { returnTo: string; crypto?: PkceCrypto },
): Promise<{ url: string; complete(resultUrl: string): Promise<AuthUser | null> }> {
  const web = (globalThis as { crypto?: { getRandomValues(b: Uint8Array): Uint8Array; subtle: { digest(algorithm: string, data: Uint8Array): Promise<ArrayBuffer> } } }).crypto;
  const pkce = crypto ?? (web && { getRandomValues: (b: Uint8Array) => web.getRandomValues(b), sha256: (b: Uint8Array) => web.subtle.digest('SHA-256', b) });
  if (!pkce) throw new AuthError('no_crypto', 'No Web Crypto here: pass `crypto` (expo-crypto on React Native).');
  const verifier = base64url(pkce.getRandomValues(new Uint8Array(32)));
  const challenge = base64url(new Uint8Array(await pkce.sha256(new TextEncoder().encode(verifier))));
  const url = `${signInWithRedirect(auth, provider, { returnTo, navigate: false })}&code_challenge=${challenge}&code_challenge_method=S256`;
  return { url, complete: (resultUrl) => completeRedirectSignIn(auth, resultUrl, verifier) };
}
