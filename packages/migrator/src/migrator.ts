import type { DataSource, MigrationInterface, QueryRunner } from 'typeorm';
import { DEFAULT_URL_NAME } from './connection';
import { MigratorError, isMigratorError } from './errors';
import { DEFAULT_HISTORY, readHistory, recordApplied, recordChecksum, recordReverted, type HistoryLocation } from './history';
import { ensureHistoryTables } from './history-tables';
import { loadMigration, readMigrationFiles, type MigrationFile } from './migration-files';
import { DEFAULT_LOCK_TIMEOUT_NAME, DEFAULT_MIGRATION_LOCK, acquireMigrationLock, applySessionTimeouts, describeHolder, lockIsOwn, releaseMigrationLock } from './migration-lock';
import { assertRangeIsPreview, planDown, planUp, type DownOptions, type UpOptions } from './migration-plan';
import { previewMigrations, previewPrivileges, renderPrivileges, renderScript } from './migration-preview';
import { migrationFailure, runMigration } from './migration-run';
import { computeState, readState, type MigrationState } from './migration-state';
import type { MigratorEvent, MigratorOptions } from './migrator-options';
import { applyPrivileges, readPrivileges, type PrivilegeReport, type PrivilegeResult } from './privileges/apply';
import { assertOwnSession } from './pooler';
import type { Direction, MigrationOutcome, RunResult, StampResult } from './run-result';
import { loadSqlParser } from './sql-parser';
import { resolveTarget } from './targets';

// The Migrator's vocabulary lives beside it (options, plan, result); importers keep one address.
export type { MigratorEvent, MigratorOptions } from './migrator-options';
export type { DownOptions, UpOptions } from './migration-plan';
export type { Direction, MigrationOutcome, RunResult, StampResult } from './run-result';

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
    return this.run('up', opts.dryRun ?? false, (state, files) => planUp(opts, state, files));
  }

  /** Reverts the last applied migration, N of them, everything after a target, or everything (base). */
  async down(opts: DownOptions = {}): Promise<RunResult> {
    if (opts.from !== undefined) assertRangeIsPreview(opts);
    return this.run('down', opts.dryRun ?? false, (state, files) => planDown(opts, state, files));
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
          message: `waiting up to ${timeouts.lockTimeoutMs} ms (${timeouts.lockTimeoutName ?? DEFAULT_LOCK_TIMEOUT_NAME}) for the migration lock held by ${describeHolder(holder)}`,
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
      const results = await previewMigrations(this.options.dataSource, direction, chosen, (file) => this.instanceOf(file));
      const privileges = direction === 'up' ? await previewPrivileges(this.options.dataSource, this.options.privileges, this.history, results) : undefined;
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
          await runMigration(runner, direction, file, instance, t0, { history: this.history, via: this.via, afterStatement: this.options.afterStatement });
          const durationMs = performance.now() - t0;
          results.push({ name: file.name, direction, status: 'done', durationMs, transaction: instance.transaction !== false });
          this.emit({ type: 'migration-done', name: file.name, direction, durationMs });
        } catch (err) {
          const transaction = instance?.transaction !== false;
          results.push({ name: file.name, direction, status: 'failed', durationMs: performance.now() - t0, transaction });
          error = isMigratorError(err) ? err : migrationFailure(file, direction, err, transaction, results.length - 1);
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

  /** Prefers the instance the DataSource already loaded (the plain TypeORM CLI path), else loads the file. */
  private instanceOf(file: MigrationFile): MigrationInterface {
    const loaded = this.options.dataSource.migrations.find((m) => (m.name ?? m.constructor.name) === file.name);
    return loaded ?? loadMigration(file);
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
}
