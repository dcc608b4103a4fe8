import type { DataSource, MigrationInterface, QueryRunner } from 'typeorm';
import { MigratorError, isMigratorError } from './errors';
import { DEFAULT_HISTORY, historyNames, quoteIdent, readHistory, recordApplied, recordChecksum, recordReverted, type HistoryLocation } from './history';
import { ensureHistoryTables } from './history-tables';
import { applyPrivileges, planOnCatalog, readPrivileges, type PrivilegeReport, type PrivilegeResult } from './privileges/apply';
import { readPrivilegeCatalog } from './privileges/catalog';
import type { PrivilegeSettings } from './privileges/policy';
import { simulateDdl } from './privileges/simulate';
import { loadMigration, readMigrationFiles, type MigrationFile } from './migration-files';
import {
  DEFAULT_MIGRATION_LOCK,
  acquireMigrationLock,
  applySessionTimeouts,
  describeHolder,
  lockIsOwn,
  releaseMigrationLock,
  type LockHolder,
  type MigrationLockKey,
  type SessionTimeouts,
} from './migration-lock';
import { computeState, readState, type MigrationState, type Problem } from './migration-state';
import { DEFAULT_URL_NAME } from './connection';
import { assertOwnSession } from './pooler';
import { captureQueries, renderStatement, type CapturedStatement } from './sql-capture';
import { loadSqlParser } from './sql-parser';
import { resolveTarget } from './targets';

export type Direction = 'up' | 'down';

/** Progress, for a CLI to show on stderr while a long run goes on. */
export type MigratorEvent =
  | { type: 'lock-wait'; holder: LockHolder | null; message: string }
  | { type: 'lock-acquired'; waitedMs: number }
  | { type: 'adopted'; names: string[] }
  | { type: 'privileges-applied'; statements: number; createdRoles: readonly string[] }
  /** The history was found in public and moved to the configured history schema. */
  | { type: 'history-moved'; from: string; to: string }
  | { type: 'migration-start'; name: string; direction: Direction; index: number; total: number }
  | { type: 'migration-done'; name: string; direction: Direction; durationMs: number };

export interface MigratorOptions {
  /** An initialized DataSource over the direct endpoint (PostgreSQL). */
  readonly dataSource: DataSource;
  /** The folder of migration files (`<13-digit timestamp>-<Name>.ts|js`). */
  readonly migrationsDir: string;
  readonly timeouts: SessionTimeouts;
  /**
   * Where the history tables are. Default: TypeORM's `migrationsTableName` (else `migrations`)
   * and `migration_checksums`, unqualified (the search_path). Set `schema` to keep both in a
   * schema of their own (created when missing).
   */
  readonly history?: Partial<HistoryLocation>;
  /** Recorded beside each checksum: which tool applied it. */
  readonly via?: string;
  /**
   * The advisory lock key (two int4). Every writer of one database must use the same; the
   * default's class id is "migr".
   */
  readonly lock?: MigrationLockKey;
  /**
   * Called after each statement a migration sends, on its connection (rehearsal records the
   * ACCESS EXCLUSIVE locks each statement takes).
   */
  readonly afterStatement?: (runner: QueryRunner, sql: string, startedMs: number) => Promise<void>;
  /** What the user calls the database URL (e.g. its environment variable), named in pooler errors. */
  readonly urlName?: string;
  readonly onEvent?: (event: MigratorEvent) => void;
  /**
   * A privilege policy: `up` applies it after the migrations, under the same lock (GRANT/REVOKE,
   * default privileges, roles when allowed); `privileges()` reports drift from it.
   */
  readonly privileges?: PrivilegeSettings;
}

export interface MigrationOutcome {
  readonly name: string;
  readonly direction: Direction;
  readonly status: 'done' | 'failed' | 'previewed';
  readonly durationMs: number;
  readonly transaction: boolean;
  /** For --sql: the statements it would run. */
  readonly statements?: readonly CapturedStatement[];
  /** For --sql: the migration reads data or the schema, so the preview shows what it did with empty answers. */
  readonly readsData?: boolean;
}

/**
 * The result of a run. Every problem found before anything changed is thrown as a MigratorError;
 * once migrations have started, a failure is returned in `error` beside what was done, so the
 * caller always learns which migrations are applied.
 */
export interface RunResult {
  readonly direction: Direction;
  readonly dryRun: boolean;
  readonly results: readonly MigrationOutcome[];
  readonly error?: MigratorError;
  readonly adopted: readonly string[];
  readonly lockWaitedMs: number;
  readonly durationMs: number;
  /** The SQL script of a dry run, migration names as comments. */
  readonly sql?: string;
  /** With a privilege policy, what `up` did (or, dry, would do) to the privileges. */
  readonly privileges?: PrivilegeResult;
}

export interface UpOptions {
  /** A TARGET (name or unique prefix of name or timestamp) to stop at, inclusive. */
  readonly target?: string;
  /** Apply only the next N pending migrations. */
  readonly steps?: number;
  /** Capture the SQL instead of running it. */
  readonly dryRun?: boolean;
  /** Apply pending migrations older than the newest applied one (merged branches). */
  readonly allowOutOfOrder?: boolean;
  /** Apply exactly these pending migrations, in this order (rehearsal replays a history). */
  readonly only?: readonly string[];
  /**
   * With dryRun, Alembic's range form `FROM:TO`: the SQL from revision FROM ('base' or a TARGET)
   * to `target`, by timestamp and without asking the database which is applied.
   */
  readonly from?: string;
}

export interface DownOptions {
  /** Revert everything applied after this TARGET ('base': everything). */
  readonly target?: string;
  /** Revert the last N applied (default 1 when no target). */
  readonly steps?: number;
  readonly dryRun?: boolean;
  /** With dryRun, the range form `FROM:TO` (e.g. `head:base`): revert from FROM down to `target`, by timestamp. */
  readonly from?: string;
}

export interface StampResult {
  readonly inserted: readonly string[];
  readonly deleted: readonly string[];
  readonly current: string | null;
}

/**
 * Applies, reverts and inspects the migrations of one database. Verbs return data; every verb
 * that writes holds the migration lock on one dedicated connection for the whole run.
 */
export class Migrator {
  private readonly via: string;
  private lockWaitedMs = 0;
  /** Where this migrator keeps the history. */
  readonly history: HistoryLocation;

  constructor(private readonly options: MigratorOptions) {
    this.via = options.via ?? 'migrate';
    this.history = {
      schema: options.history?.schema ?? DEFAULT_HISTORY.schema,
      table: options.history?.table ?? options.dataSource.options.migrationsTableName ?? DEFAULT_HISTORY.table,
      checksumsTable: options.history?.checksumsTable ?? DEFAULT_HISTORY.checksumsTable,
    };
  }

  get dataSource(): DataSource {
    return this.options.dataSource;
  }

  get migrationsDir(): string {
    return this.options.migrationsDir;
  }

  /** The same settings with another DataSource (rehearsal's scratch database) or progress listener. */
  with(overrides: Partial<MigratorOptions>): Migrator {
    return new Migrator({ ...this.options, history: this.history, ...overrides });
  }

  private emit(event: MigratorEvent): void {
    this.options.onEvent?.(event);
  }

  /** Files compared with the applied history: current, head, pending and every problem. Read-only. */
  async status(): Promise<MigrationState> {
    const runner = this.options.dataSource.createQueryRunner();
    try {
      return await readState(runner, this.options.migrationsDir, this.history);
    } finally {
      await runner.release();
    }
  }

  /** The privilege policy compared with the database (null without a policy). Read-only. */
  async privileges(): Promise<PrivilegeReport | null> {
    if (!this.options.privileges) return null;
    const runner = this.options.dataSource.createQueryRunner();
    try {
      return await readPrivileges(runner, this.options.privileges);
    } finally {
      await runner.release();
    }
  }

  /** Applies pending migrations: all, up to a target, or N steps; then the privilege policy, if any. */
  async up(opts: UpOptions = {}): Promise<RunResult> {
    if (opts.from !== undefined) assertRangeIsPreview(opts);
    return this.run('up', opts.dryRun ?? false, (state, files) => {
      if (opts.from !== undefined) {
        const lower = revisionTimestamp(opts.from, files);
        const upper = revisionTimestamp(opts.target ?? 'head', files);
        return files.filter((f) => f.timestamp > lower && f.timestamp <= upper);
      }
      refuseProblems(state, opts.allowOutOfOrder ?? false);
      const pending = files.filter((f) => state.pending.includes(f.name));
      if (opts.only) return opts.only.map((name) => pending.find((p) => p.name === name)).filter((f) => f !== undefined);
      if (opts.target !== undefined) {
        const target = resolveTarget(opts.target, files);
        if (!pending.some((p) => p.name === target.name) && state.migrations.find((m) => m.name === target.name)?.applied) {
          return [];
        }
        return pending.filter((p) => p.timestamp <= target.timestamp);
      }
      return opts.steps !== undefined ? pending.slice(0, opts.steps) : pending;
    });
  }

  /** Reverts the last applied migration, N of them, everything after a target, or everything (base). */
  async down(opts: DownOptions = {}): Promise<RunResult> {
    if (opts.from !== undefined) assertRangeIsPreview(opts);
    return this.run('down', opts.dryRun ?? false, (state, files) => {
      if (opts.from !== undefined) {
        const upper = revisionTimestamp(opts.from, files);
        const lower = revisionTimestamp(opts.target ?? 'base', files);
        return files.filter((f) => f.timestamp <= upper && f.timestamp > lower).reverse();
      }
      const applied = state.migrations
        .filter((m) => m.applied)
        .sort((a, b) => (b.appliedOrder ?? 0) - (a.appliedOrder ?? 0));
      let chosen: typeof applied;
      if (opts.target === 'base') chosen = applied;
      else if (opts.target !== undefined) {
        const target = resolveTarget(opts.target, state.migrations);
        chosen = applied.filter((m) => m.timestamp > target.timestamp);
      } else chosen = applied.slice(0, opts.steps ?? 1);
      return chosen.map((m) => {
        const file = files.find((f) => f.name === m.name);
        if (!file) {
          throw new MigratorError(
            'missing_migration_file',
            `cannot revert ${m.name}: it is applied but no migration file defines it; deploy a build that has it, or record the state with stamp`,
            { migration: m.name },
          );
        }
        return file;
      });
    });
  }

  /** Records `target` ('head', 'base' or a TARGET) as the current revision without running any SQL. */
  async stamp(target: string): Promise<StampResult> {
    return this.withLock(async (runner) => {
      const files = readMigrationFiles(this.options.migrationsDir);
      const history = await readHistory(runner, this.history);
      const upTo =
        target === 'base' ? -Infinity : target === 'head' ? Infinity : resolveTarget(target, files).timestamp;
      const wanted = files.filter((f) => f.timestamp <= upTo);
      const wantedNames = new Set(wanted.map((f) => f.name));
      const appliedNames = new Set(history.map((h) => h.name));
      const inserted = wanted.filter((f) => !appliedNames.has(f.name));
      const deleted = history.filter((h) => !wantedNames.has(h.name));
      await runner.startTransaction();
      try {
        for (const f of inserted) {
          for (const q of recordApplied(this.history, { ...f, durationMs: null, via: 'stamp' })) await runner.query(q.sql, q.params);
        }
        for (const h of deleted) for (const q of recordReverted(this.history, h.name)) await runner.query(q.sql, q.params);
        await runner.commitTransaction();
      } catch (err) {
        await runner.rollbackTransaction().catch(() => undefined);
        throw err;
      }
      return {
        inserted: inserted.map((f) => f.name),
        deleted: deleted.map((h) => h.name),
        current: wanted.at(-1)?.name ?? null,
      };
    });
  }

  /**
   * Runs `fn` on one dedicated connection holding the migration lock, with the session's
   * timeouts set and the history tables present. The lock is released in finally, and would
   * die with the connection anyway.
   */
  async withLock<T>(fn: (runner: QueryRunner) => Promise<T>): Promise<T> {
    const { dataSource, timeouts } = this.options;
    const runner = dataSource.createQueryRunner();
    try {
      await runner.connect();
      // Before the first SET: through a transaction pooler it would leak into other clients' sessions.
      await assertOwnSession(dataSource, runner, this.options.urlName ?? DEFAULT_URL_NAME);
      await applySessionTimeouts(runner, timeouts);
      const lock = this.options.lock ?? DEFAULT_MIGRATION_LOCK;
      const { waitedMs } = await acquireMigrationLock(runner, lock, timeouts, (holder) =>
        this.emit({
          type: 'lock-wait',
          holder,
          message: `waiting up to ${timeouts.lockTimeoutMs} ms (MIGRATION_LOCK_TIMEOUT_MS) for the migration lock held by ${describeHolder(holder)}`,
        }),
      );
      this.lockWaitedMs = waitedMs;
      this.emit({ type: 'lock-acquired', waitedMs });
      try {
        if (!(await lockIsOwn(runner, lock))) {
          throw new MigratorError(
            'pooled_endpoint',
            `${this.options.urlName ?? DEFAULT_URL_NAME} is a connection pooler: the migration lock taken by one statement was not held by the backend of the next; nothing was written: set it to the direct endpoint`,
          );
        }
        const moved = await ensureHistoryTables(dataSource, runner, this.history);
        if (moved) this.emit({ type: 'history-moved', ...moved });
        return await fn(runner);
      } finally {
        if (runner.isTransactionActive) await runner.rollbackTransaction().catch(() => undefined);
        await releaseMigrationLock(runner, lock).catch(() => undefined);
      }
    } finally {
      await runner.release();
    }
  }

  private async run(
    direction: Direction,
    dryRun: boolean,
    plan: (state: MigrationState, files: MigrationFile[]) => MigrationFile[],
  ): Promise<RunResult> {
    const started = performance.now();
    if (dryRun) {
      await loadSqlParser();
      const state = await this.status();
      const files = readMigrationFiles(this.options.migrationsDir);
      const chosen = plan(state, files);
      const results = await this.preview(direction, chosen);
      const privileges = direction === 'up' ? await this.previewPrivileges(results) : undefined;
      return {
        direction,
        dryRun,
        results,
        adopted: [],
        lockWaitedMs: 0,
        durationMs: performance.now() - started,
        sql: renderScript(direction, results, this.history, chosen) + renderPrivileges(privileges),
        privileges,
      };
    }
    return this.withLock(async (runner) => {
      // History is read and validated only once the lock is held: another runner may just have
      // applied what looked pending a moment ago.
      const files = readMigrationFiles(this.options.migrationsDir);
      const state = computeState(files, await readHistory(runner, this.history));
      const chosen = plan(state, files);
      const adopted = direction === 'up' ? await this.adopt(runner, state, files) : [];
      const results: MigrationOutcome[] = [];
      let error: MigratorError | undefined;
      for (const [index, file] of chosen.entries()) {
        this.emit({ type: 'migration-start', name: file.name, direction, index, total: chosen.length });
        const t0 = performance.now();
        let instance: MigrationInterface | undefined;
        try {
          instance = this.instanceOf(file);
          await this.runOne(runner, direction, file, instance, t0);
          const durationMs = performance.now() - t0;
          results.push({ name: file.name, direction, status: 'done', durationMs, transaction: instance.transaction !== false });
          this.emit({ type: 'migration-done', name: file.name, direction, durationMs });
        } catch (err) {
          const transaction = instance?.transaction !== false;
          results.push({ name: file.name, direction, status: 'failed', durationMs: performance.now() - t0, transaction });
          error = isMigratorError(err) ? err : failure(file, direction, err, transaction, results.length - 1);
          break;
        }
      }
      let privileges: PrivilegeResult | undefined;
      if (direction === 'up' && !error && this.options.privileges) {
        try {
          privileges = await applyPrivileges(runner, this.options.privileges);
          this.emit({ type: 'privileges-applied', statements: privileges.statements.length, createdRoles: privileges.createdRoles });
          const unmet = [...privileges.missingRoles.map((m) => m.message), ...privileges.policyProblems];
          if (unmet.length) {
            error = new MigratorError('privileges_incomplete', `the privilege policy is not fully applied: ${unmet.join('; ')}`, {
              missingRoles: privileges.missingRoles,
              policyProblems: privileges.policyProblems,
            });
          }
        } catch (err) {
          error = isMigratorError(err) ? err : new MigratorError('privileges_failed', String(err), {}, { cause: err });
        }
      }
      return { direction, dryRun, results, error, adopted, lockWaitedMs: this.lockWaitedMs, durationMs: performance.now() - started, privileges };
    });
  }

  /**
   * The grants a real `up` would run after these migrations: the catalogs as they are, changed
   * by the previewed DDL (tables created, moved, renamed, dropped), compared with the policy.
   */
  private async previewPrivileges(results: readonly MigrationOutcome[]): Promise<PrivilegeResult | undefined> {
    const settings = this.options.privileges;
    if (!settings) return undefined;
    const runner = this.options.dataSource.createQueryRunner();
    try {
      const names = Object.keys(settings.policy.roles).map((k) => settings.roles[k]!.name);
      const catalog = await readPrivilegeCatalog(runner, settings.policy.schemas, names);
      const ddl = results.flatMap((r) => (r.statements ?? []).filter((s) => !s.read).map((s) => s.sql));
      // A first run also creates the history tables, which a policy may grant on (readiness checks).
      const h = this.history;
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

  /** Prefers the instance the DataSource already loaded (the plain TypeORM CLI path), else loads the file. */
  private instanceOf(file: MigrationFile): MigrationInterface {
    const loaded = this.options.dataSource.migrations.find((m) => (m.name ?? m.constructor.name) === file.name);
    return loaded ?? loadMigration(file);
  }

  private async runOne(runner: QueryRunner, direction: Direction, file: MigrationFile, instance: MigrationInterface, t0: number) {
    const transaction = instance.transaction !== false;
    if (transaction) await runner.startTransaction();
    const observe = this.options.afterStatement;
    const query = runner.query;
    if (observe) {
      runner.query = (async (sql: string, ...rest: unknown[]) => {
        const started = performance.now();
        const result = await (query as (...a: unknown[]) => Promise<unknown>).call(runner, sql, ...rest);
        await observe(runner, sql, started);
        return result;
      }) as QueryRunner['query'];
    }
    try {
      try {
        if (direction === 'up') await instance.up(runner);
        else await instance.down(runner);
      } finally {
        if (observe) runner.query = query;
      }
      const bookkeeping =
        direction === 'up'
          ? recordApplied(this.history, { ...file, durationMs: performance.now() - t0, via: this.via })
          : recordReverted(this.history, file.name);
      for (const q of bookkeeping) await runner.query(q.sql, q.params);
      if (transaction) await runner.commitTransaction();
    } catch (err) {
      if (transaction && runner.isTransactionActive) await runner.rollbackTransaction().catch(() => undefined);
      throw err;
    }
  }

  /** Migrations applied before checksums existed get their current checksum recorded, not flagged. */
  private async adopt(runner: QueryRunner, state: MigrationState, files: MigrationFile[]): Promise<string[]> {
    const unrecorded = state.migrations.filter((m) => m.checksum === 'unrecorded');
    for (const m of unrecorded) {
      const file = files.find((f) => f.name === m.name)!;
      const q = recordChecksum(this.history, { name: m.name, checksum: file.checksum, durationMs: null, via: 'adopted' });
      await runner.query(q.sql, q.params);
    }
    if (unrecorded.length) this.emit({ type: 'adopted', names: unrecorded.map((m) => m.name) });
    return unrecorded.map((m) => m.name);
  }

  private async preview(direction: Direction, chosen: MigrationFile[]): Promise<MigrationOutcome[]> {
    const results: MigrationOutcome[] = [];
    for (const file of chosen) {
      const t0 = performance.now();
      const instance = this.instanceOf(file);
      const { runner, statements } = captureQueries(this.options.dataSource.createQueryRunner());
      try {
        if (direction === 'up') await instance.up(runner);
        else await instance.down(runner);
      } catch (err) {
        throw new MigratorError(
          'preview_unavailable',
          `${file.name} cannot be previewed: its ${direction}() failed on the empty answers of the preview (${(err as Error).message}); ` +
            `it reads the database, so rehearse it instead (npm run migrate -- rehearse)`,
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
}

/** A revision of the range form: 'base' (before everything), 'head' (the newest file), or a TARGET. */
function revisionTimestamp(revision: string, files: readonly MigrationFile[]): number {
  if (revision === 'base') return -Infinity;
  if (revision === 'head') return Infinity;
  return resolveTarget(revision, files).timestamp;
}

function assertRangeIsPreview(opts: { dryRun?: boolean; from?: string }): void {
  if (!opts.dryRun) {
    throw new MigratorError('usage', `a range (${opts.from}:...) is for the SQL preview only (--sql); to migrate, give the target alone`);
  }
}

/** `up` never runs on top of a history it cannot trust. */
function refuseProblems(state: MigrationState, allowOutOfOrder: boolean): void {
  const blocking = state.problems.filter((p) => p.code !== 'out_of_order' || !allowOutOfOrder);
  const first: Problem | undefined = blocking[0];
  if (!first) return;
  const more = blocking.length > 1 ? ` (and ${blocking.length - 1} more problem(s): run npm run migrate -- status)` : '';
  throw new MigratorError(first.code, `refusing to migrate: ${first.message}${more}`, { problems: blocking });
}

function failure(file: MigrationFile, direction: Direction, err: unknown, transaction: boolean, index: number): MigratorError {
  const e = err as { message?: string; query?: string };
  const statement = e.query ? ` at statement: ${e.query.trim()}` : '';
  const kept = index > 0 ? `the ${index} migration(s) before it in this run stay ${direction === 'up' ? 'applied' : 'reverted'}` : 'nothing else was changed';
  const rolledBack = transaction
    ? `it was rolled back and ${kept}`
    : `it ran without a transaction (transaction = false), so its statements before the failing one stay applied; ${kept}`;
  return new MigratorError(
    'migration_failed',
    `${file.name} (${file.file}) failed in ${direction}()${statement}: ${e.message ?? String(err)}; ${rolledBack}. Fix the migration (or the data) and run it again`,
    { migration: file.name, file: file.file, statement: e.query ?? null },
    { cause: err },
  );
}

/** The privilege part of `up --sql`: what the policy makes the run do after the migrations. */
function renderPrivileges(p: PrivilegeResult | undefined): string {
  if (!p) return '';
  const lines = ['-- privileges (the policy, applied after the migrations under the same lock)'];
  for (const m of p.missingRoles) lines.push(`-- missing role: ${m.message}`, `-- ${m.sql};`);
  for (const name of p.createdRoles) lines.push(`CREATE ROLE ${quoteIdent(name)} LOGIN; -- with its configured password, if any`);
  for (const problem of p.policyProblems) lines.push(`-- policy problem: ${problem}`);
  if (p.statements.length) lines.push('BEGIN;', ...p.statements.map((s) => `${s};`), 'COMMIT;');
  else lines.push('-- nothing to grant or revoke');
  return `${lines.join('\n')}\n`;
}

function renderScript(direction: Direction, results: readonly MigrationOutcome[], history: HistoryLocation, files: MigrationFile[]): string {
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
