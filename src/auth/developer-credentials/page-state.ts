import { createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';
import { asMethods, type AuthenticationMethod } from '../oidc/authentication-context';
import type { AuthKeys } from '../tokens/auth-keys';

/**
 * The /device page's state in the browser: one signed cookie holding a random nonce (the forms'
 * CSRF tokens are HMACs over it, oidc/form-tokens.ts) and, once the person has signed in on the
 * page, who they are, how and when; between a correct password and the second factor, the sign-in
 * step it waits for (the MFA token, which only this browser holds: it never travels in a form).
 * Stateless, so every instance reads it; signed with keys derived from TOKEN_SECRET (current first,
 * previous ones still accepted), never with the secret itself. httpOnly, so no script reads the
 * MFA token; the token alone proves nothing without the second factor, and dies after five wrong
 * answers or MFA_TOKEN_TTL_SECONDS.
 */
export const DEVICE_COOKIE = 'cathouse_device';
/** How long a sign-in on the page counts for approving a device; the cookie lives as long. */
export const DEVICE_SIGN_IN_MAX_AGE_SECONDS = 600;
/** How long a sign-in may wait on the page for its step (the MFA token's own TTL may end it sooner). */
export const DEVICE_STEP_MAX_AGE_SECONDS = 300;

export interface DevicePageState {
  /** The nonce the forms' CSRF tokens are bound to. */
  n: string;
  /** The signed-in user, and when (seconds since the epoch). */
  u?: string;
  t?: number;
  /** How the user signed in (RFC 8176 methods); absent in cookies from before: pwd. */
  m?: string[];
  /** A sign-in waiting for its step: the step's id, its challenge, and when the password was right. */
  p?: { s: string; c: string; t: number };
}

/** A finished sign-in on the page: who, with which methods, and when. */
export interface PageSignIn {
  userId: string;
  methods: AuthenticationMethod[];
  at: Date;
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

/** The sign-in on the page, if recent enough to approve a device. */
export function currentSignIn(state: DevicePageState, now = Date.now()): PageSignIn | undefined {
  if (!state.u || typeof state.t !== 'number') return undefined;
  if (now / 1000 - state.t > DEVICE_SIGN_IN_MAX_AGE_SECONDS) return undefined;
  const methods = Array.isArray(state.m) ? asMethods(state.m) : [];
  return { userId: state.u, methods: methods.length > 0 ? methods : ['pwd'], at: new Date(state.t * 1000) };
}

/** The state of a finished sign-in: any step it waited for is gone. */
export function signedInState(state: DevicePageState, userId: string, methods: readonly AuthenticationMethod[], now = Date.now()): DevicePageState {
  return { n: state.n, u: userId, t: Math.floor(now / 1000), m: [...methods] };
}

/** The state of a correct password waiting for `stepId`: signed out until the step is done. */
export function waitingState(state: DevicePageState, stepId: string, challenge: string, now = Date.now()): DevicePageState {
  return { n: state.n, p: { s: stepId, c: challenge, t: Math.floor(now / 1000) } };
}

/** The challenge of the sign-in waiting for `stepId` in this browser, if it has not waited too long. */
export function waitingChallenge(state: DevicePageState, stepId: string, now = Date.now()): string | undefined {
  const p = state.p;
  if (!p || p.s !== stepId || typeof p.c !== 'string' || typeof p.t !== 'number') return undefined;
  return now / 1000 - p.t <= DEVICE_STEP_MAX_AGE_SECONDS ? p.c : undefined;
}
