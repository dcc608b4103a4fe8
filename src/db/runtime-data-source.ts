import { DataSource, type QueryRunner } from 'typeorm';
import type { Config } from '../config/config';
import { baseOptions } from './base-options';

/**
 * The DataSource the HTTP service uses, over the pooled endpoint (DATABASE_URL).
 *
 * Nothing here may rely on session state, because a transaction-mode pooler (PgBouncer, Neon's
 * `-pooler`) hands each transaction to whichever server connection is free: no SET, no advisory
 * locks, no named prepared statements (node-postgres only names them when asked to). Timeouts are
 * client-side (`query_timeout`) for the same reason: PgBouncer rejects a `statement_timeout`
 * startup parameter.
 */
export function createRuntimeDataSource(url: string, db: Config['db'], applicationName = 'cathouse-auth'): DataSource {
  const dataSource = new DataSource({
    ...baseOptions(url),
    poolSize: db.poolMax,
    extra: {
      max: db.poolMax,
      connectionTimeoutMillis: db.connectTimeoutMs,
      idleTimeoutMillis: db.idleTimeoutMs,
      query_timeout: db.queryTimeoutMs,
      application_name: applicationName,
    },
  });

  // A ROLLBACK that fails (it timed out, the server froze) leaves the connection in an unknown
  // transaction state; TypeORM would return it to the pool, where the next request's COMMIT
  // could save the half of a transaction that failed. Such a connection is destroyed instead.
  const createQueryRunner = dataSource.createQueryRunner.bind(dataSource);
  dataSource.createQueryRunner = (mode) => {
    const runner = createQueryRunner(mode) as QueryRunner & { releasePostgresConnection(err?: unknown): Promise<void> };
    const rollback = runner.rollbackTransaction.bind(runner);
    runner.rollbackTransaction = async () => {
      try {
        await rollback();
      } catch (err) {
        await runner.releasePostgresConnection(err);
        throw err;
      }
    };
    return runner;
  };
  return dataSource;
}
