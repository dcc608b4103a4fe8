import type { DataSource } from 'typeorm';
import type { Config } from '../config/config';
import { AppError } from '../errors/app-error';
import type { Logger } from '../logging/logger';
import { createRuntimeDataSource } from './runtime-data-source';

/**
 * Reads that may lag behind the primary by the replica's replay delay: the admin's user search,
 * the admin's and the user's audit-log views (GET users, GET events, GET me/events). Never a
 * refresh, reuse detection, a revocation, a session check, or a read of something the caller has
 * just written: those stay on the primary (AuthService, AccountService and the session views take
 * the primary DataSource and nothing else).
 */
export interface LagTolerantReads {
  /**
   * Runs `read` on the replica when one is configured and answering, else on the primary. A read
   * that fails on the replica for any reason but an AppError (a bad cursor) is run again on the
   * primary, and the replica is left alone for a few seconds, so an outage costs one failed try
   * every few seconds instead of one per request.
   */
  run<T>(read: (db: DataSource) => Promise<T>): Promise<T>;
  /** Closes the replica's pool (the primary's belongs to its owner). */
  close(): Promise<void>;
}

/** Every read on the primary: no DATABASE_READ_URL. */
export function primaryReads(primary: DataSource): LagTolerantReads {
  return { run: (read) => read(primary), close: async () => undefined };
}

export interface ReplicaOptions {
  /** After a failure, reads stay on the primary this long before the replica is tried again. */
  readonly retryAfterMs?: number;
}

/**
 * Reads on the replica at `url` with the primary as fallback. The replica's pool is opened on the
 * first read (a replica that is down at start delays nothing) with the runtime's pool settings,
 * but a connect timeout of at most 2 s: waiting longer for a replica than for the primary makes
 * no sense when the primary can answer.
 */
export function replicaReads(primary: DataSource, url: string, db: Config['db'], logger: Logger, options: ReplicaOptions = {}): LagTolerantReads {
  const retryAfterMs = options.retryAfterMs ?? 5_000;
  let replica: Promise<DataSource> | undefined;
  let downUntil = 0;
  let closed = false;

  const open = () =>
    (replica ??= (async () => {
      const ds = createRuntimeDataSource(url, { ...db, connectTimeoutMs: Math.min(db.connectTimeoutMs, 2_000) }, 'cathouse-auth-read');
      try {
        await ds.initialize();
        return ds;
      } catch (err) {
        replica = undefined;
        await ds.destroy().catch(() => undefined);
        throw err;
      }
    })());

  return {
    async run(read) {
      if (closed || Date.now() < downUntil) return read(primary);
      try {
        const result = await read(await open());
        if (downUntil !== 0) {
          downUntil = 0;
          logger.info('read replica answers again; lag-tolerant reads go to it');
        }
        return result;
      } catch (err) {
        if (err instanceof AppError) throw err;
        if (downUntil === 0) logger.warn({ err, retry_after_ms: retryAfterMs }, 'read replica failed; lag-tolerant reads go to the primary');
        downUntil = Date.now() + retryAfterMs;
        return read(primary);
      }
    },
    async close() {
      closed = true;
      const ds = await replica?.catch(() => undefined);
      await ds?.destroy();
    },
  };
}

/** The reads the configuration asks for: the replica of DATABASE_READ_URL, or the primary alone. */
export function lagTolerantReads(primary: DataSource, db: Config['db'], logger: Logger): LagTolerantReads {
  return db.readUrl ? replicaReads(primary, db.readUrl, db, logger) : primaryReads(primary);
}
