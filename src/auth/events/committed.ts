import type { DataSource, EntityManager, EntitySubscriberInterface } from 'typeorm';

/**
 * Tells this instance's sender that events have committed, so that it looks at once instead of at
 * its next poll (a revocation should reach receivers in milliseconds, not a poll interval later).
 * An event written in a transaction is announced when TypeORM reports that transaction's commit;
 * one written by a statement of its own, right after that statement. Other instances find it at
 * their next poll: LISTEN/NOTIFY would not survive a transaction-mode pooler.
 */

const FLAG = 'cathouseSecurityEventsRecorded';
const listeners = new WeakMap<DataSource, Set<() => void>>();

/** Calls `listener` after every commit on `dataSource` that wrote security events; returns the way to stop. */
export function onEventsCommitted(dataSource: DataSource, listener: () => void): () => void {
  let set = listeners.get(dataSource);
  if (!set) {
    set = new Set();
    listeners.set(dataSource, set);
    const subscriber: EntitySubscriberInterface = {
      afterTransactionCommit({ queryRunner }) {
        if (!queryRunner.data?.[FLAG]) return;
        delete queryRunner.data[FLAG];
        announce(dataSource);
      },
    };
    dataSource.subscribers.push(subscriber);
  }
  set.add(listener);
  return () => set.delete(listener);
}

function announce(dataSource: DataSource): void {
  for (const listener of listeners.get(dataSource) ?? []) {
    try {
      listener();
    } catch {
      // A listener's failure is its own; the commit has happened.
    }
  }
}

/** Marks the transaction of `executor` as having written events (or announces them now when it is a DataSource). */
export function noteEventsWritten(executor: DataSource | EntityManager): void {
  if ('queryRunner' in executor && executor.queryRunner) {
    executor.queryRunner.data = { ...executor.queryRunner.data, [FLAG]: true };
    return;
  }
  announce(executor as DataSource);
}
