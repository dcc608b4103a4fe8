import type { PoolClient } from 'pg';
import type { QueryRunner } from 'typeorm';
import { quoteIdent } from '../history';

// The plain PostgreSQL pieces the data checks share: quoted names, and the driver's own client.

export const q = quoteIdent;
export const qualified = (schema: string, table: string) => `${q(schema)}.${q(table)}`;

/** The pg client under a connected TypeORM QueryRunner (COPY needs the driver's own streams). */
export function clientOf(runner: QueryRunner): PoolClient {
  return (runner as unknown as { databaseConnection: PoolClient }).databaseConnection;
}
