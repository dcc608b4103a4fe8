import { DataSource, type EntityManager, type QueryResult } from 'typeorm';

export interface SqlResult<T> {
  rows: T[];
  /** Rows returned or affected. */
  count: number;
}

/**
 * One parameterised statement, on the transaction's connection when given a transactional
 * EntityManager, or on a connection borrowed for this statement alone. Parameters travel in
 * unnamed prepared statements, which transaction-mode poolers accept.
 */
export async function sql<T = Record<string, unknown>>(
  executor: DataSource | EntityManager,
  text: string,
  params: unknown[] = [],
): Promise<SqlResult<T>> {
  const owned = executor instanceof DataSource ? executor.createQueryRunner() : undefined;
  const runner = owned ?? (executor as EntityManager).queryRunner;
  if (!runner) throw new Error('sql(): pass a DataSource or the EntityManager of a transaction');
  try {
    const result = (await runner.query(text, params, true)) as QueryResult;
    const rows = (result.records ?? []) as T[];
    return { rows, count: result.affected ?? rows.length };
  } finally {
    await owned?.release();
  }
}
