import type { DataSource, MigrationInterface } from 'typeorm';
import { historyNames, quoteIdent, recordApplied, recordReverted, type HistoryLocation } from './history';
import { historyTablesScript } from './history-tables';
import type { MigrationFile } from './migration-files';
import type { TransactionMode } from './migration-run';
import { planOnCatalog, type PrivilegeResult } from './privileges/apply';
import { readPrivilegeCatalog } from './privileges/catalog';
import type { PrivilegeSettings } from './privileges/policy';
import { simulateDdl } from './privileges/simulate';
import type { Direction, MigrationOutcome } from './run-result';
import { captureQueries, renderStatement } from './sql-capture';

// The dry run (`up --sql`, `down --sql`): the statements a run would send and the grants after them, as a script.

/**
 * Runs each migration against a recording QueryRunner (sql-capture.ts): nothing reaches the
 * database. A migration that cannot run on empty answers (it reads the database, or uses the
 * schema API) is marked unavailable with the reason; the others are still shown.
 */
export async function previewMigrations(
  dataSource: DataSource,
  direction: Direction,
  chosen: MigrationFile[],
  instanceOf: (file: MigrationFile) => Promise<MigrationInterface>,
): Promise<MigrationOutcome[]> {
  const results: MigrationOutcome[] = [];
  for (const file of chosen) {
    const t0 = performance.now();
    const instance = await instanceOf(file);
    const { runner, statements } = captureQueries(dataSource.createQueryRunner());
    const base = { name: file.name, direction, transaction: instance.transaction !== false };
    try {
      if (direction === 'up') await instance.up(runner);
      else await instance.down(runner);
    } catch (err) {
      const read = statements.find((s) => s.read);
      const reason =
        `its ${direction}() failed on the empty answers of the preview (${String((err as Error)?.message ?? err).split('\n')[0]})` +
        (read ? `; it reads the database (${read.sql.trim().slice(0, 80)})` : '; it reads the database or uses the schema API') +
        ': apply it with up, after a rehearsal (migrator rehearse)';
      results.push({ ...base, status: 'unavailable', durationMs: performance.now() - t0, statements, readsData: true, reason });
      continue;
    }
    results.push({ ...base, status: 'previewed', durationMs: performance.now() - t0, statements, readsData: statements.some((s) => s.read) });
  }
  return results;
}

/**
 * The grants a real `up` would run after these migrations: the catalogs as they are, changed
 * by the previewed DDL (tables created, moved, renamed, dropped), compared with the policy.
 */
export async function previewPrivileges(
  dataSource: DataSource,
  settings: PrivilegeSettings | undefined,
  h: HistoryLocation,
  results: readonly MigrationOutcome[],
): Promise<PrivilegeResult | undefined> {
  if (!settings) return undefined;
  const runner = dataSource.createQueryRunner();
  try {
    const names = Object.keys(settings.policy.roles).map((k) => settings.roles[k]!.name);
    const catalog = await readPrivilegeCatalog(runner, settings.policy.schemas, names);
    const ddl = results.flatMap((r) => (r.statements ?? []).filter((s) => !s.read).map((s) => s.sql));
    // A first run also creates the history tables, which a policy may grant on (readiness checks).
    if (h.schema && !catalog.tables.some((t) => t.schema === h.schema && t.name === h.table)) {
      const names = historyNames(h);
      ddl.unshift(
        `CREATE SCHEMA ${quoteIdent(h.schema)}`,
        `CREATE TABLE ${names.migrations} (id integer, "timestamp" bigint, name varchar)`,
        `CREATE TABLE ${names.checksums} (name varchar, checksum char(64), applied_at timestamptz, duration_ms integer, applied_by text, via text)`,
      );
    }
    const simulated = simulateDdl(catalog, settings.policy.schemas, ddl);
    // Roles the real run would create, as it would create them (passwords not shown).
    const created = settings.createRoles && catalog.canCreateRoles ? names.filter((n) => !catalog.existingRoles.has(n)) : [];
    const plan = planOnCatalog(settings, { ...simulated, existingRoles: new Set([...simulated.existingRoles, ...created]) });
    return { ...plan, createdRoles: created };
  } finally {
    await runner.release();
  }
}

/** The privilege part of `up --sql`: what the policy makes the run do after the migrations. */
export function renderPrivileges(p: PrivilegeResult | undefined): string {
  if (!p) return '';
  const lines = ['-- privileges (the policy, applied after the migrations under the same lock)'];
  for (const m of p.missingRoles) lines.push(`-- missing role: ${m.message}`, `-- ${m.sql};`);
  for (const name of p.createdRoles) lines.push(`CREATE ROLE ${quoteIdent(name)} LOGIN; -- with its configured password, if any`);
  for (const problem of p.policyProblems) lines.push(`-- policy problem: ${problem}`);
  if (p.statements.length) lines.push('BEGIN;', ...p.statements.map((s) => `${s};`), 'COMMIT;');
  else lines.push('-- nothing to grant or revoke');
  return `${lines.join('\n')}\n`;
}

/**
 * The migrations' part of the script: the history tables first (up), then each migration with
 * the bookkeeping it would record, in the run's transactions. A migration that could not be
 * previewed stops the script there (psql -v ON_ERROR_STOP=1) rather than skip it silently.
 */
export async function renderScript(
  dataSource: DataSource,
  direction: Direction,
  results: readonly MigrationOutcome[],
  history: HistoryLocation,
  files: MigrationFile[],
  mode: TransactionMode,
): Promise<string> {
  const lines: string[] = [];
  if (direction === 'up' && results.length) {
    lines.push('-- the history tables, if missing (as the first up creates them)');
    for (const sql of await historyTablesScript(dataSource, history)) lines.push(renderStatement({ sql, parameters: [] }));
    lines.push('');
  }
  if (mode === 'all' && results.length) lines.push('BEGIN;');
  for (const r of results) {
    const file = files.find((f) => f.name === r.name)!;
    if (r.status === 'unavailable') {
      lines.push(`-- ${r.name} (${direction}): CANNOT BE PREVIEWED: ${r.reason}`);
      const message = `${r.name} could not be previewed: apply it with up, not with this script`.replace(/'/g, "''");
      lines.push(`DO $preview$ BEGIN RAISE EXCEPTION '${message}'; END $preview$;`, '');
      continue;
    }
    const own = mode === 'each' && r.transaction;
    lines.push(`-- ${r.name} (${direction})${r.readsData ? ' -- READS DATA: cannot be previewed exactly; the reads below returned nothing here' : ''}`);
    if (own) lines.push('BEGIN;');
    for (const s of r.statements ?? []) lines.push(s.read ? `-- read: ${renderStatement(s)}` : renderStatement(s));
    const bookkeeping =
      direction === 'up' ? recordApplied(history, { ...file, durationMs: null, via: 'sql script' }) : recordReverted(history, file.name).slice(0, 1);
    for (const q of bookkeeping) lines.push(renderStatement({ sql: q.sql, parameters: q.params }));
    if (own) lines.push('COMMIT;');
    lines.push('');
  }
  if (mode === 'all' && results.length) lines.push('COMMIT;', '');
  return lines.join('\n');
}
