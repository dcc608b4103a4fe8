import { browser, type LockManagerLike, type WebStorageLike } from './browser-globals.js';
import type { Lock } from './cross-tab.js';

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

