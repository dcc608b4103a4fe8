import type { DataSource } from 'typeorm';
import { MigratorError } from './errors';
import { CHECKSUMS_TABLE, type HistoryLocation } from './history';

/** The history options: where TypeORM keeps it, unless said otherwise (and then it must agree). */
export interface HistoryOptions extends Partial<HistoryLocation> {
  /**
   * A schema an earlier setup kept both history tables in (e.g. `public`): when the tables are
   * found there and not at `schema`, the next write moves them (ALTER TABLE ... SET SCHEMA). The
   * tool never moves TypeORM's table unless this is set (README, "Moving the history").
   */
  readonly moveFrom?: string;
}

/**
 * Where TypeORM keeps the applied history of this DataSource (MigrationExecutor): the table
 * `migrationsTableName` (default `migrations`), in the DataSource's `schema` when it has one, a
 * dotted name naming its own schema; null: the search_path.
 */
export function typeormHistory(dataSource: DataSource): { schema: string | null; table: string } {
  const options = dataSource.options as { migrationsTableName?: string; schema?: string };
  const name = options.migrationsTableName ?? 'migrations';
  const dot = name.indexOf('.');
  if (dot > 0) return { schema: name.slice(0, dot), table: name.slice(dot + 1) };
  return { schema: options.schema ?? null, table: name };
}

/**
 * The history location: TypeORM's, with the checksums table beside it. An explicit schema or
 * table must name the same place TypeORM reads (else TypeORM would see every migration as
 * pending and run the history again): refused, with the DataSource setting that makes both agree.
 */
export function resolveHistory(dataSource: DataSource, given: HistoryOptions = {}): HistoryLocation & { moveFrom?: string } {
  const typeorm = typeormHistory(dataSource);
  const schema = given.schema !== undefined ? given.schema : typeorm.schema;
  const table = given.table ?? typeorm.table;
  if ((schema ?? null) !== (typeorm.schema ?? null) || table !== typeorm.table) {
    const wanted = schema ? `${schema}.${table}` : table;
    const theirs = typeorm.schema ? `${typeorm.schema}.${typeorm.table}` : typeorm.table;
    throw new MigratorError(
      'invalid_config',
      `the history option names ${wanted}, but TypeORM keeps this DataSource's history in ${theirs} (its migrationsTableName and schema): ` +
        `TypeORM would then see every migration as pending; set migrationsTableName: '${wanted}' on the DataSource so both agree`,
    );
  }
  return { schema: schema ?? null, table, checksumsTable: given.checksumsTable ?? CHECKSUMS_TABLE, ...(given.moveFrom ? { moveFrom: given.moveFrom } : {}) };
}
