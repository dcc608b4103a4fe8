import type { DataSourceOptions } from 'typeorm';
import { SnakeNamingStrategy } from '@cathouse/db-conventions';
import { allEntities } from './entities';
import { MIGRATIONS_GLOB, MIGRATIONS_TABLE } from './migration-paths';

export { MIGRATIONS_DIR, MIGRATIONS_GLOB, MIGRATIONS_TABLE } from './migration-paths';

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
