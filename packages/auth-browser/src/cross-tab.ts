/**
 * What tabs of one origin need to share one session: a lock (one refresh at a time across tabs),
 * a channel (the winner hands its new tokens to the others; a sign-out reaches every tab), and a
 * generation counter that is read consistently after the lock is taken.
 *
 * Every browser API is feature-detected, so the same code runs in a browser tab, a worker,
 * React Native and Node (where there is one "tab" and the in-process lock is all that is needed).
 * The implementations: locks.ts, channels.ts, generation-journal.ts (over browser-globals.ts).
 */

/** Runs `fn` while nobody else holds the lock of the same name (other tabs included). */
export interface Lock {
  readonly kind: 'web-locks' | 'storage-lease' | 'in-process';
  run<T>(fn: () => Promise<T>): Promise<T>;
}

export interface Channel {
  readonly kind: 'broadcast-channel' | 'storage-event' | 'none';
  post(message: unknown): void;
  subscribe(listener: (message: unknown) => void): () => void;
  close(): void;
}

/**
 * The generation of the newest session any tab has written, kept in IndexedDB. It exists because
 * localStorage and BroadcastChannel give no ordering guarantee against Web Locks: a tab granted
 * the lock right after another tab refreshed may still read the old refresh token from its
 * localStorage cache, or not yet have the winner's message. IndexedDB reads go to the browser's
 * one backing store, so a value committed before the lock was released is seen by the next holder,
 * which then knows to wait for the new tokens instead of spending a rotated refresh token.
 */
export interface GenerationJournal {
  read(): Promise<number | undefined>;
  write(generation: number): Promise<void>;
  close(): void;
}
