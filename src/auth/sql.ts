import { DataSource, QueryFailedError, type EntityManager, type QueryResult } from 'typeorm';
import type { Pool, QueryResult as PgQueryResult } from 'pg';

export interface SqlResult<T> {
  rows: T[];
  /** Rows returned or affected. */
  count: number;
}

/**
 * One parameterised statement, on the transaction's connection when given a transactional
 * EntityManager, or on a connection borrowed for this statement alone. Parameters travel in
 * unnamed prepared statements, which transaction-mode poolers accept.
 *
 * A statement of its own goes to TypeORM's pg pool directly rather than through a QueryRunner:
 * a runner per statement (its object, logger and subscriber broadcasts, two extra promise hops)
 * cost the hottest requests 5-10 µs each for nothing they use (`npm run bench:profile`). Errors keep
 * TypeORM's shape (QueryFailedError with `driverError`), so callers see one kind of error either way.
 */
export async function sql<T = Record<string, unknown>>(
  executor: DataSource | EntityManager,
  text: string,
  params: unknown[] = [],
): Promise<SqlResult<T>> {
  if (executor instanceof DataSource) return poolQuery<T>(executor, text, params);
  const runner = executor.queryRunner;
  if (!runner) throw new Error('sql(): pass a DataSource or the EntityManager of a transaction');
  const result = (await runner.query(text, params, true)) as QueryResult;
  const rows = (result.records ?? []) as T[];
  return { rows, count: result.affected ?? rows.length };
}

async function poolQuery<T>(dataSource: DataSource, text: string, params: unknown[]): Promise<SqlResult<T>> {
  const pool = (dataSource.driver as unknown as { master?: Pool }).master;
  if (!pool) throw new Error('sql(): the DataSource is not initialized');
  // Not pool.query(): that destroys the connection on any error, a unique violation included.
  const client = await pool.connect();
  // A checked-out client has no listener of the pool's: a socket error would crash the process.
  let broken: Error | undefined;
  const onError = (err: Error) => (broken = err);
  client.on('error', onError);
  let raw: PgQueryResult;
  try {
    raw = await client.query(text, params);
  } catch (err) {
    // An error the server reported (it has a severity) leaves the connection ready for the next
    // statement; anything else (a timeout, a dead socket) leaves it in an unknown state: destroyed.
    if (!(err as { severity?: unknown }).severity) broken ??= err as Error;
    throw new QueryFailedError(text, params, err as Error);
  } finally {
    client.removeListener('error', onError);
    client.release(broken);
  }
  const rows = (raw.rows ?? []) as T[];
  return { rows, count: raw.rowCount ?? rows.length };
}
