import type { DataSource, MigrationInterface } from 'typeorm';
import { MigratorError } from './errors';
import { historyNames, quoteIdent, recordApplied, recordReverted, type HistoryLocation } from './history';
import type { MigrationFile } from './migration-files';
import { planOnCatalog, type PrivilegeResult } from './privileges/apply';
import { readPrivilegeCatalog } from './privileges/catalog';
import type { PrivilegeSettings } from './privileges/policy';
import { simulateDdl } from './privileges/simulate';
import type { Direction, MigrationOutcome } from './run-result';
import { captureQueries, renderStatement } from './sql-capture';

// The dry run (`up --sql`, `down --sql`): the statements a run would send and the grants after them, as a script.

/**
 * Runs each migration against a recording QueryRunner (sql-capture.ts): nothing reaches the
 * database; a migration that cannot run on empty answers is refused with the way out.
 */
export async function previewMigrations(
  dataSource: DataSource,
  direction: Direction,
  chosen: MigrationFile[],
  instanceOf: (file: MigrationFile) => MigrationInterface,
): Promise<MigrationOutcome[]> {
  const results: MigrationOutcome[] = [];
  for (const file of chosen) {
    const t0 = performance.now();
    const instance = instanceOf(file);
    const { runner, statements } = captureQueries(dataSource.createQueryRunner());
    try {
      if (direction === 'up') await instance.up(runner);
      else await instance.down(runner);
    } catch (err) {
      throw new MigratorError(
        'preview_unavailable',
        `${file.name} cannot be previewed: its ${direction}() failed on the empty answers of the preview (${(err as Error).message}); ` +
          `it reads the database, so rehearse it instead (migrator rehearse)`,
        { migration: file.name, file: file.file },
        { cause: err },
      );
    }
    results.push({
      name: file.name,
      direction,
      status: 'previewed',
      durationMs: performance.now() - t0,
      transaction: instance.transaction !== false,
      statements,
      readsData: statements.some((s) => s.read),
    });
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

/** The migrations' part of the script: each in its transaction, with the history bookkeeping it would record. */
export function renderScript(direction: Direction, results: readonly MigrationOutcome[], history: HistoryLocation, files: MigrationFile[]): string {
  const lines: string[] = [];
  for (const r of results) {
    const file = files.find((f) => f.name === r.name)!;
    lines.push(`-- ${r.name} (${direction})${r.readsData ? ' -- READS DATA: cannot be previewed exactly; the reads below returned nothing here' : ''}`);
    if (r.transaction) lines.push('BEGIN;');
    for (const s of r.statements ?? []) lines.push(s.read ? `-- read: ${renderStatement(s)}` : renderStatement(s));
    const bookkeeping =
      direction === 'up'
        ? recordApplied(history, { ...file, durationMs: null, via: 'sql script' }).slice(0, 1)
        : recordReverted(history, file.name).slice(0, 1);
    for (const q of bookkeeping) lines.push(renderStatement({ sql: q.sql, parameters: q.params }));
    if (r.transaction) lines.push('COMMIT;');
    lines.push('');
  }
  return lines.join('\n');
}
