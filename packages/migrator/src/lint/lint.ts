import path from 'node:path';
import { DataSource } from 'typeorm';
import { MigratorError } from '../errors';
import { listMigrations, loadMigration, readMigrationFile, sortAndCheck, type MigrationFile, type MigrationSource } from '../migration-files';
import type { Migrator } from '../migrator';
import { captureQueries } from '../sql-capture';
import { loadSqlParser, parseStatements } from '../sql-parser';
import { severityOf, type LintConfig } from './config';
import { checkStatement } from './check-statement';
import { MAX_IDENTIFIER_BYTES, longIdentifiers } from './identifiers';
import { RULES, type RuleId, type Severity } from './rules';
import type { RawFinding, StatementContext } from './statement-context';

export interface LintFinding {
  readonly rule: RuleId | 'unparseable-sql' | 'cannot-lint' | 'ack-without-reason';
  readonly severity: Severity;
  readonly migration: string;
  readonly file: string;
  /** Line of the statement in the file, when it can be found. */
  readonly line: number | null;
  readonly statement: string;
  readonly detail: string;
  readonly why: string;
  readonly fix: string;
  /** The acknowledgement's reason when the migration carries `// migration-lint-ack: <rule> -- <reason>`. */
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

/**
 * The greppable acknowledgement of an error-level finding: a line comment in the migration,
 * `// migration-lint-ack: ban-drop-column -- the column was unused since release 41`.
 */
const ACK = /\/\/\s*migration-lint-ack:\s*([a-z-]+)\s*(?:--\s*(.*))?$/gm;

function acknowledgements(source: string): Map<string, string> {
  const acks = new Map<string, string>();
  for (const m of source.matchAll(ACK)) acks.set(m[1]!, (m[2] ?? '').trim());
  return acks;
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

/** Lints one migration: runs its up() against a capturing QueryRunner and checks each statement. */
export async function lintMigration(migration: MigrationFile, config?: LintConfig): Promise<LintFinding[]> {
  await loadSqlParser();
  const instance = await loadMigration(migration);
  const acks = acknowledgements(migration.source);
  for (const [rule, reason] of Object.entries(config?.acknowledge?.[migration.name] ?? {})) acks.set(rule, reason);
  const base = { migration: migration.name, file: migration.file };
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
  };
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
    }));
    for (const raw of [textual, ...parsed.map((stmt) => checkStatement(stmt, ctx))]) {
      for (const f of raw) {
        const rule = RULES[f.rule];
        const severity = severityOf(f.rule, config);
        if (severity === 'off') continue;
        const reason = acks.get(f.rule);
        findings.push({ ...base, rule: f.rule, severity, line, statement: s.sql.trim(), detail: f.detail, why: rule.why, fix: rule.fix, acknowledged: reason || null });
      }
    }
  }
  for (const [rule, reason] of acks) {
    if (!reason) {
      findings.push({
        ...base,
        rule: 'ack-without-reason',
        severity: 'error',
        line: null,
        statement: '',
        detail: `migration-lint-ack: ${rule} has no reason`,
        why: 'an acknowledgement is a decision a reviewer must be able to read',
        fix: `write it as // migration-lint-ack: ${rule} -- <why this is safe here>`,
        acknowledged: null,
      });
    }
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
  const findings: LintFinding[] = [];
  for (const t of targets) findings.push(...(await lintMigration(t, opts.config)));
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
