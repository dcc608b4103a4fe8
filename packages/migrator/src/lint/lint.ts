import path from 'node:path';
import { DataSource, type MigrationInterface } from 'typeorm';
import { MigratorError } from '../errors';
import { listMigrations, loadMigration, readMigrationFile, sortAndCheck, type MigrationFile, type MigrationSource } from '../migration-files';
import type { Migrator } from '../migrator';
import { captureQueries } from '../sql-capture';
import { loadSqlParser, parseStatements } from '../sql-parser';
import type { Queryable } from '../history';
import { acknowledgementsIn, configAcknowledgements, coveringAck } from './acks';
import { severityOf, type LintConfig } from './config';
import { checkStatement } from './check-statement';
import { downFacts } from './down-facts';
import { MAX_IDENTIFIER_BYTES, longIdentifiers } from './identifiers';
import { RULES, type RuleId, type Severity } from './rules';
import { DEFAULT_LARGE_TABLE, largeTableFindings, readTableSizes, type TableSizes } from './size-hint';
import type { RawFinding, StatementContext } from './statement-context';

export interface LintFinding {
  readonly rule: RuleId | 'unparseable-sql' | 'cannot-lint' | 'cannot-load' | 'ack-without-reason';
  readonly severity: Severity;
  readonly migration: string;
  readonly file: string;
  /** Line of the statement in the file, when it can be found. */
  readonly line: number | null;
  readonly statement: string;
  readonly detail: string;
  readonly why: string;
  readonly fix: string;
  /** What it is about (`auth.users.legacy`, `catalog.cats`, an index): what an acknowledgement may name. */
  readonly objects: readonly string[];
  /** The reason of the acknowledgement that covers it (`// migration-lint-ack: <rule> [<object>] -- <reason>`), or null. */
  readonly acknowledged: string | null;
}

export interface LintReport {
  readonly files: readonly string[];
  /** Conventions the files do not follow that TypeORM accepts (file name without timestamp...). */
  readonly notes: readonly string[];
  readonly findings: readonly LintFinding[];
  /** Unacknowledged error-level findings: `lint` fails when this is not 0. */
  readonly errors: number;
  readonly warnings: number;
}

// A DataSource that never connects: its QueryRunner only builds SQL, which captureQueries records.
let offline: DataSource | undefined;
function offlineRunner() {
  offline ??= new DataSource({ type: 'postgres', url: 'postgres://lint@127.0.0.1:1/lint' });
  return offline.createQueryRunner();
}

function lineOf(source: string, sql: string): number | null {
  const probe = sql.trim().slice(0, 60);
  const at = probe ? source.indexOf(probe) : -1;
  return at < 0 ? null : source.slice(0, at).split('\n').length;
}

/** What linting one migration may use beyond its file: the configuration, and the database's table sizes. */
export interface LintContext {
  readonly config?: LintConfig;
  /** Table sizes from the database (readTableSizes): large-table-in-transaction needs them. */
  readonly sizes?: TableSizes;
}

/**
 * Lints one migration: runs its up() (and, for what the schema was before, its down()) against
 * a capturing QueryRunner and checks each statement. A file that cannot be loaded is a finding
 * (cannot-load), like SQL that does not parse: the lint found a broken migration.
 */
export async function lintMigration(migration: MigrationFile, { config, sizes }: LintContext = {}): Promise<LintFinding[]> {
  await loadSqlParser();
  const base = { migration: migration.name, file: migration.file, objects: [] as string[] };
  const loaded = await load(migration);
  if ('finding' in loaded) return [loaded.finding];
  const { instance } = loaded;
  const acks = [...acknowledgementsIn(migration.source), ...configAcknowledgements(config, migration.name)];
  const raw: { finding: RawFinding; line: number | null; statement: string }[] = [];
  const findings: LintFinding[] = [];
  const { runner, statements } = captureQueries(offlineRunner());
  try {
    await instance.up(runner);
  } catch (err) {
    findings.push({
      ...base,
      rule: 'cannot-lint',
      severity: 'warning',
      line: null,
      statement: '',
      detail: `up() could not run without a database (${(err as Error).message})`,
      why: 'it reads the database (schema API such as getTable, or data), so its SQL is only known at run time',
      fix: 'review it by hand and rehearse it (migrator rehearse)',
      acknowledged: null,
    });
  }
  const ctx: StatementContext = {
    newTables: new Set(),
    inTransaction: instance.transaction !== false,
    wrapped: instance.transaction !== false,
    notValidConstraints: new Set(),
    notNullChecks: new Map(),
    validated: new Map(),
    renamedTypes: new Map(),
    createdEnums: new Map(),
    droppedColumns: new Set(),
    before: await downFacts(instance, offlineRunner()),
  };
  const large = { ...DEFAULT_LARGE_TABLE, ...config?.largeTable };
  // Every statement of every query() string: one call may hold several ("SELECT 1; DROP ...").
  for (const s of statements) {
    const parsed = parseStatements(s.sql);
    const line = lineOf(migration.source, s.sql);
    if (!parsed) {
      findings.push({ ...base, rule: 'unparseable-sql', severity: 'error', line, statement: s.sql, detail: 'PostgreSQL cannot parse this statement', why: 'it will fail when run', fix: 'fix the SQL', acknowledged: null });
      continue;
    }
    const textual: RawFinding[] = longIdentifiers(s.sql).map((name) => ({
      rule: 'identifier-too-long',
      detail: `"${name}" is ${Buffer.byteLength(name)} bytes; PostgreSQL keeps the first ${MAX_IDENTIFIER_BYTES}`,
      objects: [name.toLowerCase()],
    }));
    // The size hint first: checkStatement updates the context (a table created here is new).
    const checked = parsed.flatMap((stmt) => [...largeTableFindings(stmt, ctx, sizes, large), ...checkStatement(stmt, ctx)]);
    for (const finding of [...textual, ...checked]) {
      // A drop that is half of a type change is reported once, as the type change.
      if (finding.supersedes) {
        const i = raw.findIndex((r) => r.finding.rule === finding.supersedes && r.finding.objects?.some((o) => finding.objects?.includes(o)));
        if (i >= 0) raw.splice(i, 1);
      }
      raw.push({ finding, line, statement: s.sql.trim() });
    }
  }
  const statementLines = statements.map((s) => lineOf(migration.source, s.sql)).filter((l): l is number => l !== null);
  for (const { finding: f, line, statement } of raw) {
    const rule = RULES[f.rule];
    const configured = severityOf(f.rule, config);
    if (configured === 'off') continue;
    const severity: Severity = f.atMost === 'warning' ? 'warning' : configured;
    const objects = f.objects ?? [];
    const ack = coveringAck({ rule: f.rule, line, objects }, acks, statementLines);
    findings.push({ ...base, rule: f.rule, severity, line, statement, detail: f.detail, why: rule.why, fix: f.fix ?? rule.fix, objects, acknowledged: ack?.reason || null });
  }
  for (const ack of acks) {
    if (ack.reason) continue;
    findings.push({
      ...base,
      rule: 'ack-without-reason',
      severity: 'error',
      line: ack.line,
      statement: '',
      detail: `migration-lint-ack: ${ack.rule}${ack.object ? ` ${ack.object}` : ''} has no reason`,
      why: 'an acknowledgement is a decision a reviewer must be able to read',
      fix: `write it as // migration-lint-ack: ${ack.rule}${ack.object ? ` ${ack.object}` : ''} -- <why this is safe here>`,
      acknowledged: null,
    });
  }
  return findings;
}

/** The migration's instance, or the cannot-load finding that says why it has none. */
async function load(migration: MigrationFile): Promise<{ instance: MigrationInterface } | { finding: LintFinding }> {
  try {
    return { instance: await loadMigration(migration) };
  } catch (err) {
    const detail = err instanceof MigratorError ? err.message : String(err);
    return {
      finding: {
        migration: migration.name,
        file: migration.file,
        objects: [],
        rule: 'cannot-load',
        severity: 'error',
        line: null,
        statement: '',
        detail,
        why: 'a migration that cannot be loaded fails when it is run',
        fix: 'fix the file (npx tsc --noEmit lists every error)',
        acknowledged: null,
      },
    };
  }
}

/**
 * The cannot-load findings of `migrations`, the one rule that does not need the SQL: each file is
 * loaded, nothing is parsed or run. What `up`'s lint gate needs on a database with nothing applied,
 * where no other finding stops it (loading is what TypeORM does anyway; parsing every statement
 * of a whole history was a sixth of `migrate up` from empty, `npm run bench -- --only=migrations`).
 */
export async function loadFindings(migrations: readonly MigrationFile[]): Promise<LintFinding[]> {
  const findings: LintFinding[] = [];
  for (const m of migrations) {
    const loaded = await load(m);
    if ('finding' in loaded) findings.push(loaded.finding);
  }
  return findings;
}

export interface LintOptions {
  /** Where the migrations are (a folder, or a source: migration-files.ts). */
  readonly migrationsDir: MigrationSource;
  /** Files to lint; by default the migrations pending on the database of `migrator`. */
  readonly files?: readonly string[];
  readonly migrator?: Migrator;
  /** Each rule's severity (readLintConfig); defaults to RULES[rule].severity. */
  readonly config?: LintConfig;
  /**
   * A database to read table sizes from (large-table-in-transaction); by default that of
   * `migrator`, if one is given. Without either the lint runs from the files alone.
   */
  readonly database?: Queryable;
}

export async function lintMigrations(opts: LintOptions): Promise<LintReport> {
  let targets: MigrationFile[];
  if (opts.files) {
    // Exactly these files: a neighbour TypeORM would refuse must not stop them from being linted.
    targets = sortAndCheck((await Promise.all(opts.files.map((file) => fileAt(file)))).flat());
  } else if (opts.migrator) {
    const state = await opts.migrator.status();
    targets = (await listMigrations(opts.migrator.source)).filter((f) => state.pending.includes(f.name));
  } else {
    targets = await listMigrations(opts.migrationsDir);
  }
  const database = opts.database ?? opts.migrator?.dataSource;
  const sizes = database ? await readTableSizes(database) : undefined;
  const findings: LintFinding[] = [];
  for (const t of targets) findings.push(...(await lintMigration(t, { config: opts.config, sizes })));
  const open = findings.filter((f) => !f.acknowledged);
  return {
    files: [...new Set(targets.map((t) => t.file))],
    notes: [...new Set(targets.flatMap((t) => t.notes))],
    findings,
    errors: open.filter((f) => f.severity === 'error').length,
    warnings: open.filter((f) => f.severity === 'warning').length,
  };
}

async function fileAt(file: string): Promise<MigrationFile[]> {
  const found = await readMigrationFile(path.resolve(file));
  if (!found.length) {
    throw new MigratorError('invalid_migration_file', `${file} is not a migration file: it exports no class (TypeORM loads every exported class of a migrations file)`, { file });
  }
  return found;
}
