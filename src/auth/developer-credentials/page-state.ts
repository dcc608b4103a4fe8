import { createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';
import type { AuthKeys } from '../tokens/auth-keys';

/**
 * The /device page's state in the browser: one signed cookie holding a random nonce (the forms'
 * CSRF tokens are HMACs over it, oidc/form-tokens.ts) and, once the person has signed in on the
 * page, who they are and when. Stateless, so every instance reads it; signed with keys derived
 * from TOKEN_SECRET (current first, previous ones still accepted), never with the secret itself.
 */
export const DEVICE_COOKIE = 'cathouse_device';
/** How long a sign-in on the page counts for approving a device; the cookie lives as long. */
export const DEVICE_SIGN_IN_MAX_AGE_SECONDS = 600;

export interface DevicePageState {
  /** The nonce the forms' CSRF tokens are bound to. */
  n: string;
  /** The signed-in user, and when (seconds since the epoch). */
  u?: string;
  t?: number;
}

export function devicePageKeys(keys: AuthKeys): Buffer[] {
  return [keys.tokenSecret, ...keys.previousTokenSecrets].map((secret) => Buffer.from(hkdfSync('sha256', secret, Buffer.alloc(0), 'cathouse device page', 32)));
}

export function newPageState(): DevicePageState {
  return { n: randomBytes(16).toString('base64url') };
}

function mac(key: Buffer, payload: string): string {
  return createHmac('sha256', key).update(payload).digest('base64url');
}

export function encodePageState(keys: readonly Buffer[], state: DevicePageState): string {
  const payload = Buffer.from(JSON.stringify(state)).toString('base64url');
  return `${payload}.${mac(keys[0]!, payload)}`;
}

/** The state of a cookie signed with one of `keys`; undefined when absent, forged or malformed. */
export function decodePageState(keys: readonly Buffer[], cookie: string | undefined): DevicePageState | undefined {
  if (!cookie) return undefined;
  const dot = cookie.indexOf('.');
  if (dot <= 0) return undefined;
  const payload = cookie.slice(0, dot);
  const given = Buffer.from(cookie.slice(dot + 1));
  const valid = keys.some((key) => {
    const expected = Buffer.from(mac(key, payload));
    return expected.length === given.length && timingSafeEqual(expected, given);
  });
  if (!valid) return undefined;
  try {
    const state = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as DevicePageState;
    return typeof state.n === 'string' ? state : undefined;
  } catch {
    return undefined;
  }
}

/** The signed-in user, if the sign-in on the page is recent enough to approve a device. */
export function signedInUser(state: DevicePageState, now = Date.now()): string | undefined {
  if (!state.u || typeof state.t !== 'number') return undefined;
  return now / 1000 - state.t <= DEVICE_SIGN_IN_MAX_AGE_SECONDS ? state.u : undefined;
}
