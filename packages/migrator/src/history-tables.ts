import { Table, type DataSource, type QueryRunner } from 'typeorm';
import { historyNames, legacyHistory, quoteIdent, type HistoryLocation } from './history';

/**
 * Creates the history schema (when one is set) and both history tables when missing. TypeORM's
 * `migrations` table is made with the columns TypeORM's MigrationExecutor gives it, through the
 * same QueryRunner.createTable, so it is exactly what `typeorm migration:run` would have made.
 * A history found in `public` instead (kept there before a schema was configured) is moved first,
 * rows and id sequence with it (ALTER TABLE ... SET SCHEMA); the move is returned. Runs under the
 * migration lock.
 */
export async function ensureHistoryTables(
  dataSource: DataSource,
  runner: QueryRunner,
  location: HistoryLocation,
): Promise<{ from: string; to: string } | null> {
  const names = historyNames(location);
  if (location.schema) await runner.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(location.schema)}`);
  const legacy = await legacyHistory(runner, location);
  if (legacy && location.schema) {
    const old = historyNames(legacy);
    await runner.query(`ALTER TABLE ${old.migrations} SET SCHEMA ${quoteIdent(location.schema)}`);
    const [{ checksums }] = await runner.query(`SELECT to_regclass($1) IS NOT NULL AS checksums`, [old.checksums]);
    if (checksums) await runner.query(`ALTER TABLE ${old.checksums} SET SCHEMA ${quoteIdent(location.schema)}`);
  }
  const [{ exists }] = await runner.query(`SELECT to_regclass($1) IS NOT NULL AS exists`, [names.migrations]);
  if (!exists) {
    const driver = dataSource.driver;
    const type = (t: 'migrationId' | 'migrationTimestamp' | 'migrationName') => driver.normalizeType({ type: driver.mappedDataTypes[t] });
    await runner.createTable(
      new Table({
        schema: location.schema ?? undefined,
        name: location.schema ? `${location.schema}.${location.table}` : location.table,
        columns: [
          { name: 'id', type: type('migrationId'), isGenerated: true, generationStrategy: 'increment', isPrimary: true, isNullable: false },
          { name: 'timestamp', type: type('migrationTimestamp'), isPrimary: false, isNullable: false },
          { name: 'name', type: type('migrationName'), isNullable: false },
        ],
      }),
      true,
    );
  }
  await runner.query(
    `CREATE TABLE IF NOT EXISTS ${names.checksums} (
       name character varying PRIMARY KEY,
       checksum character(64) NOT NULL,
       applied_at timestamptz NOT NULL DEFAULT now(),
       duration_ms integer,
       applied_by text NOT NULL,
       via text NOT NULL
     )`,
  );
  return legacy && location.schema ? { from: 'public', to: location.schema } : null;
}
