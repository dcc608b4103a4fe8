// The browser APIs the cross-tab pieces use, as structural types: each is feature-detected on globalThis,
// so the same code runs in a tab, a worker, React Native and Node.

export interface LockManagerLike {
  request<T>(name: string, callback: (lock: unknown) => Promise<T>): Promise<T>;
}

export interface WebStorageLike {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

export interface BroadcastChannelLike {
  postMessage(message: unknown): void;
  onmessage: ((event: { data: unknown }) => void) | null;
  close(): void;
}

export interface StorageEventLike {
  key: string | null;
  newValue: string | null;
}

export interface EventTargetLike {
  addEventListener(type: string, listener: (event: never) => void): void;
  removeEventListener(type: string, listener: (event: never) => void): void;
}

export interface BrowserGlobals {
  navigator?: { locks?: LockManagerLike };
  localStorage?: WebStorageLike;
  BroadcastChannel?: new (name: string) => BroadcastChannelLike;
  indexedDB?: IdbFactoryLike;
  addEventListener?: EventTargetLike['addEventListener'];
  removeEventListener?: EventTargetLike['removeEventListener'];
  location?: { href: string; assign(url: string): void };
  history?: { state: unknown; replaceState(state: unknown, unused: string, url: string): void };
}

export interface IdbRequestLike<T> {
  result: T;
  error: unknown;
  onsuccess: (() => void) | null;
  onerror: (() => void) | null;
}
export interface IdbOpenRequestLike extends IdbRequestLike<IdbDatabaseLike> {
  onupgradeneeded: (() => void) | null;
}
export interface IdbTransactionLike {
  objectStore(name: string): {
    get(key: string): IdbRequestLike<unknown>;
    put(value: unknown, key: string): IdbRequestLike<unknown>;
  };
  oncomplete: (() => void) | null;
  onerror: (() => void) | null;
  onabort: (() => void) | null;
  error: unknown;
}
export interface IdbDatabaseLike {
  createObjectStore(name: string): unknown;
  transaction(store: string, mode: 'readonly' | 'readwrite'): IdbTransactionLike;
  close(): void;
}
export interface IdbFactoryLike {
  open(name: string, version?: number): IdbOpenRequestLike;
}

export const browser = globalThis as unknown as BrowserGlobals;
