import type { SignOutReason } from './session-record.js';
import type { AuthUser } from './types.js';

export interface AuthEvents {
  /** Once, when the client knows whether there is a session (storage read; in cookie mode, the cookie tried). A listener added later is called at once. */
  initialSession: { user: AuthUser | null };
  signedIn: { user: AuthUser | null; fromOtherTab: boolean };
  tokenRefreshed: { expiresAt: number; fromOtherTab: boolean };
  /** The user changed: `reload()`, a profile change, the developer role, a verified address. */
  userUpdated: { user: AuthUser | null; fromOtherTab: boolean };
  signedOut: { reason: SignOutReason; fromOtherTab: boolean };
}

/**
 * What a screen needs to know, synchronously: React's useSyncExternalStore and zustand stores
 * read it. The same object until something a screen shows changes (a token refresh is not one).
 */
export interface SessionSnapshot {
  /** `loading` until the initial session is known. */
  status: 'loading' | 'signedIn' | 'signedOut';
  user: AuthUser | null;
  /** Why the last session ended, while signed out after one; otherwise null. */
  reason: SignOutReason | null;
}

type Listener<E extends keyof AuthEvents> = (event: AuthEvents[E]) => void;

/** The client's listeners and its snapshot; a throwing listener never breaks the session's bookkeeping. */
export class SessionEvents {
  snapshot: SessionSnapshot = { status: 'loading', user: null, reason: null };
  private readonly listeners = new Map<keyof AuthEvents, Set<Listener<never>>>();
  private readonly watchers = new Set<(snapshot: SessionSnapshot) => void>();
  private initial: AuthEvents['initialSession'] | undefined;

  on<E extends keyof AuthEvents>(event: E, listener: Listener<E>): () => void {
    let set = this.listeners.get(event);
    if (!set) this.listeners.set(event, (set = new Set()));
    set.add(listener as Listener<never>);
    const initial = this.initial;
    if (event === 'initialSession' && initial) queueMicrotask(() => set.has(listener as Listener<never>) && call(listener, initial as AuthEvents[E]));
    return () => set.delete(listener as Listener<never>);
  }

  subscribe(watcher: (snapshot: SessionSnapshot) => void): () => void {
    this.watchers.add(watcher);
    return () => this.watchers.delete(watcher);
  }

  emit<E extends keyof AuthEvents>(event: E, payload: AuthEvents[E]): void {
    if (event === 'initialSession') this.initial = payload as AuthEvents['initialSession'];
    for (const listener of this.listeners.get(event) ?? []) call(listener as Listener<E>, payload);
  }

  /** Replaces the snapshot when what it shows changed, and tells the watchers. */
  show(status: SessionSnapshot['status'], user: AuthUser | null, reason: SignOutReason | null): void {
    const now = this.snapshot;
    // By value: a user that came from another tab or from storage is a new object after every refresh.
    if (now.status === status && now.reason === reason && JSON.stringify(now.user) === JSON.stringify(user)) return;
    const next = (this.snapshot = { status, user, reason });
    for (const watcher of this.watchers) call(watcher, next);
  }
}

function call<T>(listener: (value: T) => void, value: T): void {
  try {
    listener(value);
  } catch {
    // A throwing listener must not break the session's bookkeeping.
  }
}
