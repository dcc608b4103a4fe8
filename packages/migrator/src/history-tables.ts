import { Table, type DataSource, type QueryRunner } from 'typeorm';
import { historyNames, legacyHistory, quoteIdent, type HistoryLocation } from './history';

/**
 * Creates the history schema (when one is set) and both history tables when missing. TypeORM's
 * `migrations` table is made with the columns TypeORM's MigrationExecutor gives it, through the
 * same QueryRunner.createTable, so it is exactly what `typeorm migration:run` would have made.
 * With `moveFrom` (and only then), a history found in that schema instead is moved first, rows and
 * id sequence with it (ALTER TABLE ... SET SCHEMA); the move is returned. Runs under the lock.
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
  if (!exists) await runner.createTable(historyTable(dataSource, location), true);
  await runner.query(checksumsTableSql(location));
  return legacy && location.schema ? { from: legacy.schema!, to: location.schema } : null;
}

/** TypeORM's own history table, with the columns its MigrationExecutor gives it. */
export function historyTable(dataSource: DataSource, location: HistoryLocation): Table {
  const driver = dataSource.driver;
  const type = (t: 'migrationId' | 'migrationTimestamp' | 'migrationName') => driver.normalizeType({ type: driver.mappedDataTypes[t] });
  return new Table({
    schema: location.schema ?? undefined,
    name: location.schema ? `${location.schema}.${location.table}` : location.table,
    columns: [
      { name: 'id', type: type('migrationId'), isGenerated: true, generationStrategy: 'increment', isPrimary: true, isNullable: false },
      { name: 'timestamp', type: type('migrationTimestamp'), isPrimary: false, isNullable: false },
      { name: 'name', type: type('migrationName'), isNullable: false },
    ],
  });
}

export function checksumsTableSql(location: HistoryLocation): string {
  return `CREATE TABLE IF NOT EXISTS ${historyNames(location).checksums} (
       name character varying PRIMARY KEY,
       checksum character(64) NOT NULL,
       applied_at timestamptz NOT NULL DEFAULT now(),
       duration_ms integer,
       applied_by text NOT NULL,
       via text NOT NULL
     )`;
}

/**
 * The statements that create both history tables when missing, as a script runs them (the SQL
 * preview of a run from base): TypeORM's CREATE TABLE, made IF NOT EXISTS. Nothing is sent.
 */
export async function historyTablesScript(dataSource: DataSource, location: HistoryLocation): Promise<string[]> {
  const sql: string[] = [];
  const runner = dataSource.createQueryRunner();
  const capture = async (q: string) => {
    sql.push(q);
    return [];
  };
  Object.assign(runner, { query: capture, connect: async () => undefined });
  try {
    await runner.createTable(historyTable(dataSource, location), false);
  } finally {
    await runner.release();
  }
  return [
    ...(location.schema ? [`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(location.schema)}`] : []),
    ...sql.map((q) => q.replace(/^CREATE TABLE /, 'CREATE TABLE IF NOT EXISTS ')),
    checksumsTableSql(location),
  ];
}
