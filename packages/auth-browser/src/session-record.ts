import { AuthError } from './errors.js';
import type { SessionStorage } from './storage.js';
import type { AuthMode, AuthUser } from './types.js';

// The session as this package keeps it: what storage holds and tabs send each other, and when the service has ended it.

/**
 * Why the session ended: the app logged out (in any tab), the service refused the refresh token
 * (expired, revoked, reused), another tab's tokens never arrived, or the account was deleted.
 */
export type SignOutReason = 'logout' | 'session_ended' | 'out_of_sync' | 'account_deleted';

export interface Session {
  accessToken: string;
  /** Epoch ms, from `expires_in` and this device's clock at receipt, so server clock skew does not matter. */
  expiresAt: number;
  lifetimeMs: number;
  /** Bearer mode only: the newest refresh token. Cookie mode: the HttpOnly cookie holds it. */
  refreshToken?: string;
  user: AuthUser | null;
}

/** What storage holds and tabs send each other. A signed-out record (session null) is kept, so that it too is ordered. */
export interface SessionRecord {
  v: 1;
  generation: number;
  session: Session | null;
  cause: 'signedIn' | 'tokenRefreshed' | 'userUpdated' | 'signedOut';
  reason?: SignOutReason;
}

export function isRecord(value: unknown): value is SessionRecord {
  return !!value && typeof value === 'object' && (value as SessionRecord).v === 1 && typeof (value as SessionRecord).generation === 'number';
}

export function signedOutError(code?: string): AuthError {
  return new AuthError('signed_out', code ? `The session has ended (${code}): sign in again.` : 'Not signed in.');
}

/** `invalid_grant`: the token is expired, revoked or reused. Cookie mode: no cookie at all is no session either. */
export function endsSession(err: unknown, mode: AuthMode): boolean {
  if (!(err instanceof AuthError)) return false;
  if (err.code === 'invalid_grant') return true;
  return mode === 'cookie' && err.code === 'invalid_request' && err.status === 400;
}

/** The session id (`sid` claim) of an access token; decoding is enough, the service verified it. */
export function sessionIdOf(accessToken: string): string | undefined {
  try {
    const part = accessToken.split('.')[1]!.replace(/-/g, '+').replace(/_/g, '/');
    return (JSON.parse(atob(part)) as { sid?: string }).sid;
  } catch {
    return undefined;
  }
}

/** The record in storage, or undefined when there is none or it is not one of ours. */
export async function readRecord(storage: SessionStorage, key: string): Promise<SessionRecord | undefined> {
  const raw = await storage.getItem(key);
  if (!raw) return undefined;
  try {
    const parsed: unknown = JSON.parse(raw);
    return isRecord(parsed) ? parsed : undefined;
  } catch {
    return undefined;
  }
}
