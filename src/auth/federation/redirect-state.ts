import { createHmac, timingSafeEqual } from 'node:crypto';
import type { SignInPage } from '../oidc/sign-in/provider-redirect';

/**
 * The in-flight state of a web redirect sign-in, kept in the browser in a signed, short-lived,
 * HttpOnly cookie rather than on the server: any instance behind the load balancer can finish the
 * sign-in, nothing has to be stored or pruned for sign-ins that are abandoned, and the state is
 * bound to the browser that started it (login CSRF: the `state` parameter must equal the cookie's).
 * The values are random and single-purpose (state, nonce, PKCE verifier); the HMAC keeps a browser
 * from choosing its own return URL, sign-in page or nonce. The callback clears the cookie, and the
 * provider's code is single-use, so a replayed callback fails.
 */
export interface RedirectState {
  provider: string;
  state: string;
  nonce: string;
  codeVerifier: string;
  returnTo: string;
  /** The app's PKCE challenge (S256) for our handoff code: required for a native app's return URL, optional on the web. */
  codeChallenge?: string | undefined;
  /** Started from one of the service's sign-in pages: the callback goes back to that page, not to returnTo. */
  page?: SignInPage | undefined;
  /** Unix seconds after which the cookie is refused, whatever the browser kept. */
  expiresAt: number;
}

const LABEL = 'cathouse.redirect-state.v1';

function mac(key: Buffer, body: string): Buffer {
  return createHmac('sha256', key).update(`${LABEL}.${body}`).digest();
}

export function sealState(key: Buffer, value: RedirectState): string {
  const body = Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${body}.${mac(key, body).toString('base64url')}`;
}

/** The state, or undefined when the cookie is missing, altered, signed with another key or expired. */
export function openState(keys: readonly Buffer[], cookie: unknown, now = Date.now()): RedirectState | undefined {
  if (typeof cookie !== 'string' || cookie.length > 4096) return undefined;
  const [body, signature, extra] = cookie.split('.');
  if (!body || !signature || extra !== undefined) return undefined;
  const given = Buffer.from(signature, 'base64url');
  const valid = keys.some((key) => {
    const expected = mac(key, body);
    return expected.length === given.length && timingSafeEqual(expected, given);
  });
  if (!valid) return undefined;
  try {
    const value = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as RedirectState;
    return typeof value.expiresAt === 'number' && value.expiresAt * 1000 > now ? value : undefined;
  } catch {
    return undefined;
  }
}
