import path from 'node:path';
import type { DataSourceOptions } from 'typeorm';
import { SnakeNamingStrategy } from '@cathouse/db-conventions';
import { allEntities } from './entities';

/** Where the generated migrations of every service live (one history for the shared database). */
export const MIGRATIONS_DIR = path.resolve(__dirname, '../migrations');
export const MIGRATIONS_GLOB = path.join(MIGRATIONS_DIR, '*.{ts,js}');
export const MIGRATIONS_TABLE = 'migrations';

/**
 * Options both data sources share. `uuidExtension: 'pgcrypto'` makes TypeORM use the built-in
 * gen_random_uuid() (PostgreSQL 13+), and `installExtensions: false` stops it from issuing
 * CREATE EXTENSION on connect: neither the pooled runtime role nor Neon should need it.
 */
export function baseOptions(url: string) {
  return {
    type: 'postgres',
    url,
    entities: allEntities,
    namingStrategy: new SnakeNamingStrategy(),
    uuidExtension: 'pgcrypto',
    installExtensions: false,
    synchronize: false,
    migrationsRun: false,
    migrationsTableName: MIGRATIONS_TABLE,
    migrations: [MIGRATIONS_GLOB],
    logging: false,
  } satisfies DataSourceOptions;
}
