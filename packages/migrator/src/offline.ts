import { DataSource } from 'typeorm';
import { historyNames, quoteIdent, recordChecksum, recordReverted, type HistoryLocation } from './history';
import { historyTablesScript } from './history-tables';
import { listMigrations, loadMigration, type MigrationFile, type MigrationSource } from './migration-files';
import { planDown, planUp } from './migration-plan';
import { previewMigrations, renderScript } from './migration-preview';
import type { TransactionMode } from './migration-run';
import { computeState } from './migration-state';
import { resolveTarget } from './targets';
import type { Direction, MigrationOutcome } from './run-result';
import { captureQueries, renderStatement, type CapturedStatement } from './sql-capture';
import { loadSqlParser } from './sql-parser';


/**
 * What the migrations say without a database, as Alembic's offline mode gives it: the SQL of a
 * range (a DBA hand-off, a CI job without credentials) and one migration's statements. Nothing
 * here connects: a DataSource that is never initialized builds the SQL (sql-capture.ts).
 */

let offline: DataSource | undefined;
/** A PostgreSQL DataSource that never connects: its QueryRunners only build SQL. */
export function offlineDataSource(): DataSource {
  offline ??= new DataSource({ type: 'postgres', url: 'postgres://offline@127.0.0.1:1/offline' });
  return offline;
}

export interface OfflinePreview {
  readonly direction: Direction;
  readonly results: readonly MigrationOutcome[];
  /** The script, as `up --sql` writes it, without the privilege statements (they need the catalogs). */
  readonly sql: string;
}

/**
 * The SQL script of Alembic's range form `FROM:TO` from the files alone: `up` takes the
 * migrations after FROM up to TO, `down` those after TO up to FROM, newest first. A range whose
 * ends are the wrong way round is refused naming the other direction, never an empty script.
 */
export async function previewRangeOffline(opts: {
  readonly source: MigrationSource;
  readonly direction: Direction;
  readonly from: string;
  readonly to: string;
  readonly history: HistoryLocation;
  readonly transaction?: TransactionMode;
}): Promise<OfflinePreview> {
  await loadSqlParser();
  const files = await listMigrations(opts.source);
  const state = computeState(files, []);
  const chosen =
    opts.direction === 'up'
      ? planUp({ from: opts.from, target: opts.to, dryRun: true }, state, files)
      : planDown({ from: opts.from, target: opts.to, dryRun: true }, state, files);
  const ds = offlineDataSource();
  const results = await previewMigrations(ds, opts.direction, chosen, (f) => loadMigration(f));
  const sql = await renderScript(ds, opts.direction, results, opts.history, chosen, opts.transaction ?? 'each');
  const note = '-- privileges: not included (offline: the GRANT/REVOKE statements of a privilege policy are computed from the database\'s catalogs)\n';
  return { direction: opts.direction, results, sql: sql + note };
}

/** One migration's statements, up and down, built offline (what `show` prints). */
export async function migrationStatements(file: MigrationFile): Promise<{ up: CapturedStatement[] | string; down: CapturedStatement[] | string; transaction: boolean }> {
  await loadSqlParser();
  const instance = await loadMigration(file);
  const run = async (direction: Direction): Promise<CapturedStatement[] | string> => {
    const { runner, statements } = captureQueries(offlineDataSource().createQueryRunner());
    try {
      await (direction === 'up' ? instance.up(runner) : instance.down(runner));
      return statements;
    } catch (err) {
      return `cannot be shown without a database: ${String((err as Error)?.message ?? err).split('\n')[0]} (it reads the database or uses the schema API)`;
    }
  };
  return { up: await run('up'), down: await run('down'), transaction: instance.transaction !== false };
}

/**
 * `stamp TARGET --sql`: the bookkeeping a stamp writes, as a script (Alembic's offline stamp):
 * every migration up to TARGET recorded as applied unless it is, those after it removed, nothing
 * else run. It holds for any state of the database, so it can be reviewed and run by psql.
 */
export async function stampScript(opts: { readonly source: MigrationSource; readonly target: string; readonly history: HistoryLocation }): Promise<string> {
  const files = await listMigrations(opts.source);
  const upTo = opts.target === 'base' ? -Infinity : opts.target === 'head' || opts.target === 'heads' ? Infinity : resolveTarget(opts.target, files).timestamp;
  const names = historyNames(opts.history);
  const literal = (v: string) => `'${v.replace(/'/g, "''")}'`;
  const lines = [`-- stamp ${opts.target}: record the migrations up to it as applied, and those after it as not, without running their SQL`];
  for (const sql of await historyTablesScript(offlineDataSource(), opts.history)) lines.push(renderStatement({ sql, parameters: [] }));
  lines.push('BEGIN;');
  for (const f of files) {
    if (f.timestamp <= upTo) {
      lines.push(
        `INSERT INTO ${names.migrations} (${quoteIdent('timestamp')}, ${quoteIdent('name')}) SELECT ${f.timestamp}, ${literal(f.name)} ` +
          `WHERE NOT EXISTS (SELECT 1 FROM ${names.migrations} WHERE ${quoteIdent('name')} = ${literal(f.name)});`,
      );
      const q = recordChecksum(opts.history, { name: f.name, checksum: f.checksum, durationMs: null, via: 'stamp --sql' }, { keepApplied: true });
      lines.push(renderStatement({ sql: q.sql, parameters: q.params }));
    } else {
      for (const q of recordReverted(opts.history, f.name)) lines.push(renderStatement({ sql: q.sql, parameters: q.params }));
    }
  }
  lines.push('COMMIT;', '');
  return lines.join('\n');
}
