import { MigrationExecutor, type DataSource, type QueryRunner } from 'typeorm';
import { historyTables, quoteIdent, tableExists } from './history';

/**
 * Creates both history tables when missing, in the schema `migrationsTableName` names (created
 * too). A history left in `public` by a version without a schema of its own is moved there
 * first, with its rows: ALTER TABLE ... SET SCHEMA takes the id sequence along. Runs under the
 * migration lock; returns what was moved, if anything.
 */
export async function ensureHistoryTables(dataSource: DataSource, runner: QueryRunner): Promise<{ from: string; to: string } | null> {
  const t = historyTables(dataSource.options.migrationsTableName ?? 'migrations');
  let moved: { from: string; to: string } | null = null;
  if (t.schema !== null) {
    await runner.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(t.schema)}`);
    const legacy = historyTables(`public.${t.migrationsName}`);
    if (t.schema !== 'public' && !(await tableExists(runner, t.migrations)) && (await tableExists(runner, legacy.migrations))) {
      await runner.query(`ALTER TABLE ${legacy.migrations} SET SCHEMA ${quoteIdent(t.schema)}`);
      if (await tableExists(runner, legacy.checksums)) await runner.query(`ALTER TABLE ${legacy.checksums} SET SCHEMA ${quoteIdent(t.schema)}`);
      moved = { from: 'public', to: t.schema };
    }
  }
  await new HistoryTableCreator(dataSource, runner).create();
  await runner.query(
    `CREATE TABLE IF NOT EXISTS ${t.checksums} (
       name character varying PRIMARY KEY,
       checksum character(64) NOT NULL,
       applied_at timestamptz NOT NULL DEFAULT now(),
       duration_ms integer,
       applied_by text NOT NULL,
       via text NOT NULL
     )`,
  );
  return moved;
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
