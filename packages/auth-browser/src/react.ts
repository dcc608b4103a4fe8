import { useSyncExternalStore } from 'react';
import type { AuthClient } from './auth-client.js';
import type { SessionSnapshot } from './session-events.js';

export type { SessionSnapshot } from './session-events.js';

/**
 * The session of `client` as React state: `{ status, user, reason }`, re-rendering when it
 * changes in this tab or another (sign-in, sign-out, a changed user; not a token refresh).
 * `status` is `loading` until the stored session was read.
 */
export function useSession(client: AuthClient): SessionSnapshot {
  return useSyncExternalStore(client.subscribe, client.getSnapshot, client.getSnapshot);
}

/** The signed-in user, or null. */
export function useUser(client: AuthClient): SessionSnapshot['user'] {
  return useSession(client).user;
}
