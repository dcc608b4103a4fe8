// Over 250 lines on purpose: the package's public Migrator, one method per verb over shared state (the data source,
// the lock, the history's location); the work of each verb lives in a module of its own.
import type { DataSource, MigrationInterface, QueryRunner } from 'typeorm';
import { DEFAULT_URL_NAME } from './connection';
import { MigratorError } from './errors';
import { readHistory, recordChecksum, type HistoryLocation } from './history';
import { resolveHistory } from './history-location';
import { ensureHistoryTables } from './history-tables';
import { listMigrations, loadMigration, sourceFolder, type MigrationFile, type MigrationSource } from './migration-files';
import { DEFAULT_LOCK_TIMEOUT_NAME, DEFAULT_MIGRATION_LOCK, acquireMigrationLock, applySessionTimeouts, describeHolder, lockIsOwn, releaseMigrationLock } from './migration-lock';
import { assertRangeIsPreview, planDown, planUp, type DownOptions, type UpOptions } from './migration-plan';
import { previewMigrations, previewPrivileges, renderPrivileges, renderScript } from './migration-preview';
import { TRANSACTION_MODES, runPlan, type TransactionMode } from './migration-run';
import { computeState, type MigrationState } from './migration-state';
import type { MigratorEvent, MigratorOptions } from './migrator-options';
import { applyPrivileges, readPrivileges, type PrivilegeReport, type PrivilegeResult } from './privileges/apply';
import { assertOwnSession } from './pooler';
import type { Direction, RunResult, StampResult } from './run-result';
import { loadSqlParser } from './sql-parser';
import { stampHistory, type StampOptions } from './stamp';

// The Migrator's vocabulary lives beside it (options, plan, result); importers keep one address.
export type { MigratorEvent, MigratorOptions } from './migrator-options';
export type { DownOptions, UpOptions } from './migration-plan';
export type { Direction, MigrationOutcome, RunResult, StampResult } from './run-result';
export type { StampOptions } from './stamp';
export type { TransactionMode } from './migration-run';

/**
 * Applies, reverts and inspects the migrations of one database. Verbs return data; every verb
 * that writes holds the migration lock on one dedicated connection for the whole run.
 */
export class Migrator {
  private readonly via: string;
  private lockWaitedMs = 0;
  /** Where this migrator keeps the history: where TypeORM keeps it (history-location.ts). */
  readonly history: HistoryLocation;
  /** Where the migrations come from. */
  readonly source: MigrationSource;

  constructor(private readonly options: MigratorOptions) {
    this.via = options.via ?? 'migrate';
    this.history = resolveHistory(options.dataSource, options.history);
    this.source = options.migrations ?? options.migrationsDir ?? { migrations: options.dataSource.options.migrations ?? [] };
  }

  get dataSource(): DataSource {
    return this.options.dataSource;
  }

  /** The folder new migrations are written to: the folder of the source (its first glob's). */
  get migrationsDir(): string {
    const dir = sourceFolder(this.source);
    if (!dir) throw new MigratorError('invalid_config', 'the migrations are classes, not files: give a folder (migrationsDir) to write new ones to');
    return dir;
  }

  /** The same settings with another DataSource (rehearsal's scratch database) or progress listener. */
  with(overrides: Partial<MigratorOptions>): Migrator {
    return new Migrator({ ...this.options, migrations: this.source, history: this.history, ...overrides });
  }

  private emit(event: MigratorEvent): void {
    this.options.onEvent?.(event);
  }

  /** Every migration of the source, named as TypeORM names them. */
  migrations(): Promise<MigrationFile[]> {
    return listMigrations(this.source);
  }

  /**
   * The migrations compared with the applied history: current, head, pending and every problem.
   * Read-only. `files`: this source's migrations as the caller has just listed them (one listing
   * of a whole history instead of two).
   */
  async status(files?: MigrationFile[]): Promise<MigrationState> {
    files ??= await this.migrations();
    const runner = this.options.dataSource.createQueryRunner();
    try {
      return computeState(files, await readHistory(runner, this.history));
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
    return this.run('up', opts.dryRun ?? false, this.modeOf(opts.transaction), (state, files) => planUp(opts, state, files));
  }

  /** Reverts the last applied migration, N of them, everything after a target, or everything (base). */
  async down(opts: DownOptions = {}): Promise<RunResult> {
    if (opts.from !== undefined) assertRangeIsPreview(opts);
    return this.run('down', opts.dryRun ?? false, this.modeOf(opts.transaction), (state, files) => planDown(opts, state, files));
  }

  /**
   * Records `target` ('head', 'base' or a TARGET) as the current revision without running any SQL;
   * records the checksums of applied migrations that lack them. History rows of migrations no
   * source defines are kept (and listed) unless `deleteMissing`.
   */
  async stamp(target: string, opts: StampOptions = {}): Promise<StampResult> {
    const files = await this.migrations();
    return this.withLock((runner) => stampHistory(runner, this.history, files, target, opts));
  }

  /** The transaction mode asked for, else the DataSource's migrationsTransactionMode, else each. */
  private modeOf(asked: TransactionMode | undefined): TransactionMode {
    const mode = asked ?? (this.options.dataSource.options as { migrationsTransactionMode?: TransactionMode }).migrationsTransactionMode ?? 'each';
    if (!TRANSACTION_MODES.includes(mode)) {
      throw new MigratorError('usage', `transaction mode "${String(mode)}" is not one of all, each, none (TypeORM's migrationsTransactionMode)`);
    }
    return mode;
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
    mode: TransactionMode,
    plan: (state: MigrationState, files: MigrationFile[]) => MigrationFile[],
  ): Promise<RunResult> {
    const started = performance.now();
    const files = await this.migrations();
    if (dryRun) {
      await loadSqlParser();
      const runner = this.options.dataSource.createQueryRunner();
      let state: MigrationState;
      try {
        state = computeState(files, await readHistory(runner, this.history));
      } finally {
        await runner.release();
      }
      const chosen = plan(state, files);
      const results = await previewMigrations(this.options.dataSource, direction, chosen, (file) => this.instanceOf(file));
      const privileges = direction === 'up' ? await previewPrivileges(this.options.dataSource, this.options.privileges, this.history, results) : undefined;
      const sql = (await renderScript(this.options.dataSource, direction, results, this.history, chosen, mode)) + renderPrivileges(privileges);
      return { direction, dryRun, results, adopted: [], lockWaitedMs: 0, durationMs: performance.now() - started, sql, privileges };
    }
    return this.withLock(async (runner) => {
      // History is read and validated only once the lock is held: another runner may just have
      // applied what looked pending a moment ago.
      const state = computeState(files, await readHistory(runner, this.history));
      const chosen = plan(state, files);
      const adopted = direction === 'up' ? await this.adopt(runner, state, files) : [];
      const { dataSource, timeouts, afterStatement } = this.options;
      const run = await runPlan(runner, direction, chosen, {
        history: this.history,
        via: this.via,
        afterStatement,
        dataSource,
        timeouts,
        mode,
        emit: (e) => this.emit(e),
        instanceOf: (file) => this.instanceOf(file),
      });
      let error = run.error;
      let privileges: PrivilegeResult | undefined;
      if (direction === 'up' && !error && this.options.privileges) {
        try {
          privileges = await applyPrivileges(runner, this.options.privileges);
          this.emit({ type: 'privileges-applied', statements: privileges.statements.length, createdRoles: privileges.createdRoles });
          // Up to a target short of head, the tables and columns later migrations create are not
          // there yet: the policy naming them is not a problem until those migrations run.
          const shortOfHead = state.pending.length > chosen.length;
          const problems = shortOfHead ? privileges.policyProblems.filter((p) => !privileges!.missingObjects.includes(p)) : privileges.policyProblems;
          const unmet = [...privileges.missingRoles.map((m) => m.message), ...problems];
          if (unmet.length) {
            error = new MigratorError('privileges_incomplete', `the privilege policy is not fully applied: ${unmet.join('; ')}`, {
              missingRoles: privileges.missingRoles,
              policyProblems: privileges.policyProblems,
            });
          }
        } catch (err) {
          error = err instanceof MigratorError ? err : new MigratorError('privileges_failed', String(err), {}, { cause: err });
        }
      }
      return { direction, dryRun, results: run.results, error, adopted, lockWaitedMs: this.lockWaitedMs, durationMs: performance.now() - started, privileges };
    });
  }

  /** Prefers the instance the DataSource already loaded (the plain TypeORM CLI path), else loads the file. */
  private async instanceOf(file: MigrationFile): Promise<MigrationInterface> {
    const loaded = this.options.dataSource.migrations.find((m) => (m.name ?? m.constructor.name) === file.name);
    return loaded ?? loadMigration(file);
  }

  /**
   * Applied migrations without a checksum (applied by TypeORM itself, or before checksums) or with
   * an earlier version's that matches the file get the current checksum recorded, not flagged.
   */
  private async adopt(runner: QueryRunner, state: MigrationState, files: MigrationFile[]): Promise<string[]> {
    const adopt = state.migrations.filter((m) => m.checksum === 'unrecorded' || m.checksum === 'legacy');
    for (const m of adopt) {
      const file = files.find((f) => f.name === m.name)!;
      const q = recordChecksum(this.history, { name: m.name, checksum: file.checksum, durationMs: m.durationMs, via: m.via ?? 'adopted' }, { keepApplied: true });
      await runner.query(q.sql, q.params);
    }
    if (adopt.length) this.emit({ type: 'adopted', names: adopt.map((m) => m.name) });
    return adopt.map((m) => m.name);
  }
}
