/**
 * Where the session is kept between page loads or app launches. Synchronous (localStorage) and
 * asynchronous (Expo SecureStore, AsyncStorage) stores both fit: every method may return a promise.
 */
export interface SessionStorage {
  getItem(key: string): string | null | Promise<string | null>;
  setItem(key: string, value: string): void | Promise<void>;
  removeItem(key: string): void | Promise<void>;
}

/** Kept in memory only: gone on reload, never readable by other tabs (they get the session by message). */
export function memoryStorage(): SessionStorage {
  const items = new Map<string, string>();
  return {
    getItem: (key) => items.get(key) ?? null,
    setItem: (key, value) => {
      items.set(key, value);
    },
    removeItem: (key) => {
      items.delete(key);
    },
  };
}

interface WebStorageLike {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

/**
 * `window.localStorage` (or any Web Storage): the session survives reloads and is seen by every
 * tab of the origin. Any script on the origin can read it too; cookie mode keeps the refresh token
 * out of reach of scripts instead.
 */
export function localStorageAdapter(storage?: WebStorageLike): SessionStorage {
  const target = storage ?? (globalThis as { localStorage?: WebStorageLike }).localStorage;
  if (!target) throw new TypeError('localStorageAdapter: no localStorage here (pass a Storage, or use memoryStorage())');
  return {
    getItem: (key) => target.getItem(key),
    setItem: (key, value) => target.setItem(key, value),
    removeItem: (key) => target.removeItem(key),
  };
}

/** The shape of Expo SecureStore (`import * as SecureStore from 'expo-secure-store'`). */
export interface SecureStoreLike {
  getItemAsync(key: string): Promise<string | null>;
  setItemAsync(key: string, value: string): Promise<void>;
  deleteItemAsync(key: string): Promise<void>;
}

/**
 * An asynchronous key-value store shaped like Expo SecureStore: the mobile case, where the
 * Keychain (iOS) or Keystore (Android) holds the session. SecureStore keys may only contain
 * letters, digits, `.`, `-` and `_`; the default key `cathouse.auth` does.
 */
export function secureStoreAdapter(store: SecureStoreLike): SessionStorage {
  return {
    getItem: (key) => store.getItemAsync(key),
    setItem: (key, value) => store.setItemAsync(key, value),
    removeItem: (key) => store.deleteItemAsync(key),
  };
}
