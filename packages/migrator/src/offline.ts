import { DataSource } from 'typeorm';
import { MigratorError } from './errors';
import type { HistoryLocation } from './history';
import { listMigrations, loadMigration, type MigrationFile, type MigrationSource } from './migration-files';
import { planDown, planUp } from './migration-plan';
import { previewMigrations, renderScript } from './migration-preview';
import type { TransactionMode } from './migration-run';
import { computeState } from './migration-state';
import type { Direction, MigrationOutcome } from './run-result';
import { captureQueries, type CapturedStatement } from './sql-capture';
import { loadSqlParser } from './sql-parser';
import { resolveTarget } from './targets';

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
  assertRangeOrder(opts.direction, opts.from, opts.to, files);
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

/** The position of a range end: base before everything, head after, else the TARGET's timestamp. */
function position(revision: string, files: readonly MigrationFile[]): number {
  if (revision === 'base') return -Infinity;
  if (revision === 'head' || revision === 'heads') return Infinity;
  return resolveTarget(revision, files).timestamp;
}

/**
 * `up FROM:TO` needs FROM before TO and `down FROM:TO` FROM after TO; otherwise the preview would
 * hold no migration and look like "nothing to do". Refused with the range that was meant.
 */
export function assertRangeOrder(direction: Direction, from: string, to: string, files: readonly MigrationFile[]): void {
  const [a, b] = [position(from, files), position(to, files)];
  const backwards = direction === 'up' ? a > b : a < b;
  if (backwards) {
    const other = direction === 'up' ? 'down' : 'up';
    throw new MigratorError('usage', `${direction} ${from}:${to} is backwards: ${direction} goes from ${direction === 'up' ? 'older to newer' : 'newer to older'}; for these revisions write ${other} ${from}:${to}, or ${direction} ${to}:${from}`);
  }
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
