import { browser, type BroadcastChannelLike, type EventTargetLike, type StorageEventLike, type WebStorageLike } from './browser-globals.js';
import type { Channel } from './cross-tab.js';

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
