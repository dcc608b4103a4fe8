import { randomBytes } from 'node:crypto';
import { DataSource, type DataSourceOptions } from 'typeorm';
import { MigratorError } from '../errors';
import type { Migrator } from '../migrator';
import { diffSchema, type EntityGroups } from '../schema-diff';
import { copyData, type CopiedTable } from './copy-data';
import { createExtensions, extensionsToPrepare, type Extension } from './extensions';
import { sameDatabase } from './same-database';
import { runSteps, type RehearsalStep, type StepsRun } from './steps';

export interface RehearsalReport {
  readonly ok: boolean;
  /** `scratch`: the history replayed on an empty scratch database; `data`: a copy of the data too; `on`: a database the user gave. */
  readonly mode: 'scratch' | 'data' | 'on';
  /** The database the steps ran on (the scratch copy, or the one given with `on`). */
  readonly scratchDatabase: string;
  /** Tables copied with --with-data: rows in the real table and rows copied (fewer when sampled). */
  readonly copied: readonly CopiedTable[];
  /** True when --max-rows-per-table left rows out: then values destroyed are counted on the sample. */
  readonly sampled: boolean;
  /** Migrations replayed to reach the real database's current state. */
  readonly replayed: readonly string[];
  readonly steps: readonly RehearsalStep[];
  /** Per migration: schema differences left by down() (it should restore the schema exactly). */
  readonly downLeftovers: Readonly<Record<string, readonly string[]>>;
  /** Statements still needed to reach the entities after all pending migrations. */
  readonly drift: readonly string[];
  readonly compared: string;
  readonly dropped: boolean;
  readonly durationMs: number;
  /** Extensions of the real database created in the scratch database before the replay (with their schemas). */
  readonly extensions: readonly Extension[];
  /** Values destroyed, summed over the steps (see RehearsalStep.destroyed). */
  readonly destroyedTotal: number;
  /** Values changed in place by the `up` steps (UPDATEs), summed: reported beside the losses, never hidden by a 0. */
  readonly overwrittenTotal: number;
  /** Pending migrations left applied on the database the steps ran on (matters with `on`: it is kept). */
  readonly leftApplied: readonly string[];
  /** What the reader must look at though nothing failed (e.g. an empty down()). */
  readonly warnings: readonly string[];
}

export interface RehearsalOptions {
  readonly onProgress?: (line: string) => void;
  /**
   * Aborting (Ctrl-C in the CLI) drops the scratch database at once, which ends the step in
   * flight; the rehearsal then reports it as failed. Nothing is left on the server.
   */
  readonly signal?: AbortSignal;
  /** For the description of what the entities were compared with. */
  readonly entityGroups?: EntityGroups;
  /** Copy the real database's data (a consistent snapshot) into the scratch database before the steps. */
  readonly withData?: boolean;
  /** With withData: copy at most this many rows of each table (the report says which were sampled). */
  readonly maxRowsPerTable?: number;
  /**
   * Rehearse on this database instead of a scratch copy: one the user made for it (a Neon
   * branch, a restored backup), initialized, at the real database's state. It is not dropped: the
   * pending migrations stay applied on it.
   */
  readonly on?: DataSource;
}

/**
 * The options of a DataSource like `options` but on another database of the same server. A URL
 * carries the name percent-encoded (a name with a space or a slash is legal in PostgreSQL).
 */
export function onDatabase(options: DataSourceOptions, database: string): DataSourceOptions {
  const url = (options as { url?: string }).url;
  if (!url) return { ...options, database } as DataSourceOptions;
  const parsed = new URL(url);
  parsed.pathname = `/${encodeURIComponent(database)}`;
  return { ...options, url: parsed.toString() } as DataSourceOptions;
}

/**
 * Rehearses the pending migrations on a scratch database on the same server: the real database's
 * applied migrations are replayed there, then each pending migration runs up, down and up again,
 * and the result is compared with the entities. The scratch database is dropped even on failure;
 * the real database is only read (its history).
 */
export async function rehearse(migrator: Migrator, opts: RehearsalOptions = {}): Promise<RehearsalReport> {
  const started = performance.now();
  const say = opts.onProgress ?? (() => undefined);
  if (opts.maxRowsPerTable !== undefined && !opts.withData) {
    throw new MigratorError('usage', 'maxRowsPerTable (--max-rows-per-table) samples the copied data: use it with withData (--with-data)');
  }
  if (opts.on && opts.withData) {
    throw new MigratorError('usage', 'rehearse on a given database (--on) uses that database\'s own data: leave out withData (--with-data)');
  }
  const historySchema = migrator.history.schema ?? 'public';
  const ignore = [`${historySchema}.${migrator.history.table}`, `${historySchema}.${migrator.history.checksumsTable}`];
  if (opts.on) {
    // The database itself, not the route to it: a Unix socket or another host name reaches the same one.
    if (await sameDatabase(migrator.dataSource, opts.on)) {
      const [{ name: onName }] = (await opts.on.query(`SELECT current_database() AS name`)) as { name: string }[];
      throw new MigratorError(
        'usage',
        `--on reaches the migration database itself (${onName}, the same database on the same server): give a database made for the rehearsal (a branch or a restored copy), which keeps the pending migrations afterwards`,
      );
    }
    const target = migrator.with({ dataSource: opts.on, via: 'rehearse --on', onEvent: () => undefined });
    const state = await target.status();
    if (state.problems.length) {
      throw new MigratorError(state.problems[0]!.code, `cannot rehearse on that database: ${state.problems[0]!.message}`, { problems: state.problems });
    }
    const [{ name }] = (await opts.on.query(`SELECT current_database() AS name`)) as { name: string }[];
    say(`rehearsing on database ${name} (given with --on; it is not dropped)`);
    const run = await runSteps(target, opts.on, state.pending, ignore, opts.signal, say);
    return finish(run, { mode: 'on', scratchDatabase: name, copied: [], replayed: [], dropped: false, extensions: [] }, opts.on, opts, started);
  }

  const real = migrator.dataSource;
  const state = await migrator.status();
  if (state.problems.length) {
    throw new MigratorError(state.problems[0]!.code, `cannot rehearse: ${state.problems[0]!.message}`, { problems: state.problems });
  }
  const [{ name: realDb }] = (await real.query(`SELECT current_database() AS name`)) as { name: string }[];
  // PostgreSQL names are at most 63 bytes: shorten the real name, never the random part.
  const scratch = `${truncateBytes(realDb, 40)}_rehearse_${randomBytes(4).toString('hex')}`;
  const ident = `"${scratch.replace(/"/g, '""')}"`;
  say(`creating scratch database ${scratch}`);
  try {
    await real.query(`CREATE DATABASE ${ident}`);
  } catch (err) {
    throw new MigratorError(
      'rehearsal_failed',
      `cannot create the scratch database ${scratch} on the server of the migration database: ${(err as Error).message}; ` +
        'rehearse needs a role with CREATEDB on that server (or rehearse --on a database made for it)',
      {},
      { cause: err },
    );
  }
  const dropScratch = () => real.query(`DROP DATABASE IF EXISTS ${ident} WITH (FORCE)`);
  const onAbort = () => {
    say(`interrupted: dropping scratch database ${scratch}`);
    dropScratch().catch(() => undefined);
  };
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    if (opts.signal?.aborted) throw new MigratorError('rehearsal_failed', 'rehearsal interrupted');
    const ds = new DataSource({ ...onDatabase(real.options, scratch), migrations: [], migrationsRun: false, synchronize: false, dropSchema: false } as DataSourceOptions);
    await ds.initialize();
    try {
      // Schema only: roles belong to the whole server, so the rehearsal neither creates nor grants to them.
      const scratchMigrator = migrator.with({ dataSource: ds, via: 'rehearse', onEvent: () => undefined, privileges: undefined });
      const extensions = await extensionsToPrepare(real, await migrator.migrations());
      if (extensions.length) {
        say(`creating the real database's extension(s) ${extensions.map((e) => `${e.name} (schema ${e.schema})`).join(', ')}`);
        try {
          await createExtensions(ds, extensions);
        } catch (err) {
          throw new MigratorError('rehearsal_failed', `creating the real database's extensions in the scratch database failed: ${(err as Error).message}`, {}, { cause: err });
        }
      }
      const applied = state.migrations.filter((m) => m.applied).sort((a, b) => (a.appliedOrder ?? 0) - (b.appliedOrder ?? 0));
      say(`replaying ${applied.length} applied migration(s)`);
      const replay = await scratchMigrator.up({ only: applied.map((m) => m.name), allowOutOfOrder: true });
      if (replay.error) throw new MigratorError('rehearsal_failed', `replaying the applied history failed: ${replay.error.message}`);
      let copied: CopiedTable[] = [];
      if (opts.withData) {
        say(`copying the data of ${realDb}${opts.maxRowsPerTable !== undefined ? ` (at most ${opts.maxRowsPerTable} rows per table)` : ''}`);
        try {
          copied = await copyData(real, ds, { maxRowsPerTable: opts.maxRowsPerTable, exclude: ignore });
        } catch (err) {
          throw new MigratorError('rehearsal_failed', `copying the data into the scratch database failed: ${(err as Error).message}`, {}, { cause: err });
        }
        const sampled = copied.filter((c) => c.sampled);
        say(`copied ${copied.reduce((n, c) => n + c.copied, 0)} row(s) of ${copied.length} table(s)${sampled.length ? `; sampled ${sampled.map((c) => `${c.table} (${c.copied} of ${c.rows})`).join(', ')}` : ''}`);
      }
      const run = await runSteps(scratchMigrator, ds, state.pending, ignore, opts.signal, say);
      if (opts.signal?.aborted) {
        throw new MigratorError('rehearsal_failed', `rehearsal interrupted; the scratch database ${scratch} was dropped and the real database was not changed`);
      }
      return await finish(
        run,
        { mode: opts.withData ? 'data' : 'scratch', scratchDatabase: scratch, copied, replayed: applied.map((m) => m.name), dropped: true, extensions },
        ds,
        opts,
        started,
      );
    } finally {
      await ds.destroy();
    }
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
    // WITH (FORCE) ends any session a failed migration left on the scratch database.
    await dropScratch();
    say(`dropped scratch database ${scratch}`);
  }
}

async function finish(
  run: StepsRun,
  base: Pick<RehearsalReport, 'mode' | 'scratchDatabase' | 'copied' | 'replayed' | 'dropped' | 'extensions'>,
  ds: DataSource,
  opts: RehearsalOptions,
  started: number,
): Promise<RehearsalReport> {
  const diff = await diffSchema(ds, opts.entityGroups);
  const drift = run.failed ? [] : diff.up.map((q) => q.query);
  const sum = (pick: (s: RehearsalStep) => number) => run.steps.reduce((n, s) => n + pick(s), 0);
  return {
    ...base,
    ok: !run.failed && drift.length === 0,
    sampled: base.copied.some((c) => c.sampled),
    steps: run.steps,
    destroyedTotal: sum((s) => s.destroyed.total),
    overwrittenTotal: sum((s) => (s.step === 'up' ? Object.values(s.overwritten).reduce((a, b) => a + b, 0) : 0)),
    leftApplied: leftApplied(run.steps),
    warnings: run.steps.filter((s) => s.emptyDown).map((s) => `${s.migration}: down() is empty, so nothing reverts what up() did`),
    downLeftovers: run.downLeftovers,
    drift,
    compared: diff.compared,
    durationMs: performance.now() - started,
  };
}

/**
 * The pending migrations applied where the steps ran once they stopped: a migration is applied
 * after a successful `up` or `up again`, and still applied after a failed `down` (rolled back).
 */
function leftApplied(steps: readonly RehearsalStep[]): string[] {
  const applied = new Set<string>();
  for (const s of steps) {
    if (s.step !== 'down' && s.ok) applied.add(s.migration);
    if (s.step === 'down' && s.ok) applied.delete(s.migration);
  }
  return [...applied];
}

/** The longest prefix of `s` that fits in `max` UTF-8 bytes (PostgreSQL limits names in bytes). */
function truncateBytes(s: string, max: number): string {
  let out = '';
  for (const ch of s) {
    if (Buffer.byteLength(out + ch) > max) break;
    out += ch;
  }
  return out;
}
