import { browser, type IdbDatabaseLike, type IdbRequestLike, type IdbTransactionLike } from './browser-globals.js';
import type { GenerationJournal } from './cross-tab.js';

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
