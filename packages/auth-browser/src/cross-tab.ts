// Over 250 lines on purpose: the lock and the channel of cross-tab refresh are one protocol and read best together.
/**
 * What tabs of one origin need to share one session: a lock (one refresh at a time across tabs),
 * a channel (the winner hands its new tokens to the others; a sign-out reaches every tab), and a
 * generation counter that is read consistently after the lock is taken.
 *
 * Every browser API is feature-detected, so the same code runs in a browser tab, a worker,
 * React Native and Node (where there is one "tab" and the in-process lock is all that is needed).
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

interface LockManagerLike {
  request<T>(name: string, callback: (lock: unknown) => Promise<T>): Promise<T>;
}

interface WebStorageLike {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

interface BroadcastChannelLike {
  postMessage(message: unknown): void;
  onmessage: ((event: { data: unknown }) => void) | null;
  close(): void;
}

interface StorageEventLike {
  key: string | null;
  newValue: string | null;
}

interface EventTargetLike {
  addEventListener(type: string, listener: (event: never) => void): void;
  removeEventListener(type: string, listener: (event: never) => void): void;
}

interface BrowserGlobals {
  navigator?: { locks?: LockManagerLike };
  localStorage?: WebStorageLike;
  BroadcastChannel?: new (name: string) => BroadcastChannelLike;
  indexedDB?: IdbFactoryLike;
  addEventListener?: EventTargetLike['addEventListener'];
  removeEventListener?: EventTargetLike['removeEventListener'];
}

const browser = globalThis as unknown as BrowserGlobals;

/** Queues callers of one process, in order. The base of every lock, and the whole lock outside browsers. */
export function inProcessLock(): Lock {
  let tail: Promise<unknown> = Promise.resolve();
  return {
    kind: 'in-process',
    run<T>(fn: () => Promise<T>): Promise<T> {
      const result = tail.then(fn, fn);
      tail = result.catch(() => undefined);
      return result;
    },
  };
}

/** The Web Locks API: the browser grants the lock to one tab at a time and frees it when a tab closes. */
export function webLock(name: string, locks: LockManagerLike): Lock {
  return { kind: 'web-locks', run: (fn) => locks.request(name, () => fn()) };
}

const LEASE_MS = 5_000;
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * For browsers without Web Locks: a lease written to localStorage, confirmed after a short pause
 * (a concurrent writer's value lands in that pause and one of the two backs off), renewed while
 * held and expiring after LEASE_MS if its tab dies. Best effort: localStorage is not atomic, so
 * two tabs can still both win a close race; the server's refresh reuse interval covers that case.
 */
export function storageLeaseLock(name: string, storage: WebStorageLike): Lock {
  const key = `${name}:lease`;
  const local = inProcessLock();
  const owner = Math.random().toString(36).slice(2);
  const read = (): { owner: string; expires: number } | undefined => {
    try {
      return JSON.parse(storage.getItem(key) ?? 'null') ?? undefined;
    } catch {
      return undefined;
    }
  };
  const acquire = async () => {
    for (;;) {
      const current = read();
      if (!current || current.expires <= Date.now() || current.owner === owner) {
        storage.setItem(key, JSON.stringify({ owner, expires: Date.now() + LEASE_MS }));
        await sleep(30);
        if (read()?.owner === owner) return;
      }
      await sleep(40 + Math.random() * 60);
    }
  };
  return {
    kind: 'storage-lease',
    run: (fn) =>
      local.run(async () => {
        await acquire();
        const renew = setInterval(() => storage.setItem(key, JSON.stringify({ owner, expires: Date.now() + LEASE_MS })), LEASE_MS / 2);
        try {
          return await fn();
        } finally {
          clearInterval(renew);
          if (read()?.owner === owner) storage.removeItem(key);
        }
      }),
  };
}

/** The best lock this environment offers. */
export function defaultLock(name: string): Lock {
  if (browser.navigator?.locks?.request) return webLock(name, browser.navigator.locks);
  if (browser.localStorage && browser.addEventListener) return storageLeaseLock(name, browser.localStorage);
  return inProcessLock();
}

/** BroadcastChannel: messages to every other same-origin context with a channel of the same name. */
function broadcastChannel(name: string, Ctor: new (name: string) => BroadcastChannelLike): Channel {
  const channel = new Ctor(name);
  // Node has a global BroadcastChannel that would keep the process alive; browsers have no unref.
  (channel as { unref?: () => void }).unref?.();
  const listeners = new Set<(message: unknown) => void>();
  channel.onmessage = (event) => {
    for (const listener of listeners) listener(event.data);
  };
  return {
    kind: 'broadcast-channel',
    post: (message) => channel.postMessage(message),
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    close: () => channel.close(),
  };
}

/** For browsers without BroadcastChannel: a localStorage key written per message; other tabs get a `storage` event. */
function storageEventChannel(name: string, storage: WebStorageLike, target: EventTargetLike): Channel {
  const key = `${name}:message`;
  const listeners = new Set<(message: unknown) => void>();
  const onStorage = (event: StorageEventLike) => {
    if (event.key !== key || !event.newValue) return;
    let message: unknown;
    try {
      message = (JSON.parse(event.newValue) as { message: unknown }).message;
    } catch {
      return;
    }
    for (const listener of listeners) listener(message);
  };
  target.addEventListener('storage', onStorage as (event: never) => void);
  return {
    kind: 'storage-event',
    // The nonce makes every message a change, so two equal messages both fire.
    post: (message) => storage.setItem(key, JSON.stringify({ nonce: Math.random(), message })),
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    close: () => target.removeEventListener('storage', onStorage as (event: never) => void),
  };
}

/** The best channel this environment offers. */
export function defaultChannel(name: string): Channel {
  if (browser.BroadcastChannel) return broadcastChannel(name, browser.BroadcastChannel);
  if (browser.localStorage && browser.addEventListener && browser.removeEventListener) {
    return storageEventChannel(name, browser.localStorage, browser as EventTargetLike);
  }
  return { kind: 'none', post: () => undefined, subscribe: () => () => undefined, close: () => undefined };
}

interface IdbRequestLike<T> {
  result: T;
  error: unknown;
  onsuccess: (() => void) | null;
  onerror: (() => void) | null;
}
interface IdbOpenRequestLike extends IdbRequestLike<IdbDatabaseLike> {
  onupgradeneeded: (() => void) | null;
}
interface IdbTransactionLike {
  objectStore(name: string): {
    get(key: string): IdbRequestLike<unknown>;
    put(value: unknown, key: string): IdbRequestLike<unknown>;
  };
  oncomplete: (() => void) | null;
  onerror: (() => void) | null;
  onabort: (() => void) | null;
  error: unknown;
}
interface IdbDatabaseLike {
  createObjectStore(name: string): unknown;
  transaction(store: string, mode: 'readonly' | 'readwrite'): IdbTransactionLike;
  close(): void;
}
interface IdbFactoryLike {
  open(name: string, version?: number): IdbOpenRequestLike;
}

const STORE = 'generations';

/** The generation journal in IndexedDB, or undefined where there is none (then the lock alone has to do). */
export function defaultGenerationJournal(key: string): GenerationJournal | undefined {
  const factory = browser.indexedDB;
  if (!factory) return undefined;
  let opened: Promise<IdbDatabaseLike> | undefined;
  const db = () =>
    (opened ??= new Promise<IdbDatabaseLike>((resolve, reject) => {
      const request = factory.open('cathouse-auth', 1);
      request.onupgradeneeded = () => request.result.createObjectStore(STORE);
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    }));
  const transact = async <T>(mode: 'readonly' | 'readwrite', use: (tx: IdbTransactionLike) => IdbRequestLike<T>) => {
    const tx = (await db()).transaction(STORE, mode);
    const request = use(tx);
    // Resolve on the transaction's completion, not the request's success: only then is a write durable and visible.
    return new Promise<T>((resolve, reject) => {
      tx.oncomplete = () => resolve(request.result);
      tx.onerror = tx.onabort = () => reject(tx.error);
    });
  };
  return {
    async read() {
      const value = await transact('readonly', (tx) => tx.objectStore(STORE).get(key));
      return typeof value === 'number' ? value : undefined;
    },
    async write(generation) {
      await transact('readwrite', (tx) => tx.objectStore(STORE).put(generation, key));
    },
    close() {
      void opened?.then((d) => d.close(), () => undefined);
    },
  };
}
