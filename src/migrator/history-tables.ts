import { MigrationExecutor, type DataSource, type QueryRunner } from 'typeorm';
import { CHECKSUMS_TABLE, quoteIdent } from './history';

/**
 * Creates both history tables when missing. TypeORM's own DDL for `migrations` is used so that
 * the table is exactly what `typeorm migration:run` would have made.
 */
export async function ensureHistoryTables(dataSource: DataSource, runner: QueryRunner): Promise<void> {
  await new HistoryTableCreator(dataSource, runner).create();
  await runner.query(
    `CREATE TABLE IF NOT EXISTS ${quoteIdent(CHECKSUMS_TABLE)} (
       name character varying PRIMARY KEY,
       checksum character(64) NOT NULL,
       applied_at timestamptz NOT NULL DEFAULT now(),
       duration_ms integer,
       applied_by text NOT NULL,
       via text NOT NULL
     )`,
  );
}

/** Exposes TypeORM's own (protected) creation of the `migrations` table. */
class HistoryTableCreator extends MigrationExecutor {
  constructor(
    dataSource: DataSource,
    private readonly runner: QueryRunner,
  ) {
    super(dataSource, runner);
  }

  create(): Promise<void> {
    return this.createMigrationsTableIfNotExist(this.runner);
  }
}
