import { randomBytes } from 'node:crypto';
import { DataSource, type DataSourceOptions, type QueryRunner } from 'typeorm';
import { MigratorError } from './errors';
import type { Migrator } from './migrator';
import { schemaSnapshot, snapshotDifference } from './schema-snapshot';
import { diffSchema, type EntityGroups } from './schema-diff';

export interface RehearsalStep {
  readonly migration: string;
  readonly step: 'up' | 'down' | 'up again';
  readonly ok: boolean;
  readonly durationMs: number;
  readonly error?: string;
}

export interface RehearsalReport {
  readonly ok: boolean;
  readonly scratchDatabase: string;
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
}

/**
 * Rehearses the pending migrations on a scratch database on the same server: the real database's
 * applied migrations are replayed there, then each pending migration runs up, down and up again,
 * and the result is compared with the entities. The scratch database is dropped even on failure;
 * the real database is only read (its history).
 */
export interface RehearsalOptions {
  readonly onProgress?: (line: string) => void;
  /**
   * Aborting (Ctrl-C in the CLI) drops the scratch database at once, which ends the step in
   * flight; the rehearsal then reports it as failed. Nothing is left on the server.
   */
  readonly signal?: AbortSignal;
  /** For the description of what the entities were compared with. */
  readonly entityGroups?: EntityGroups;
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

export async function rehearse(migrator: Migrator, opts: RehearsalOptions = {}): Promise<RehearsalReport> {
  const started = performance.now();
  const say = opts.onProgress ?? (() => undefined);
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
        'rehearse needs a role with CREATEDB on that server (or run it against a development server)',
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
  let report: Omit<RehearsalReport, 'dropped'>;
  try {
    if (opts.signal?.aborted) throw new MigratorError('rehearsal_failed', 'rehearsal interrupted');
    const ds = new DataSource({ ...onDatabase(real.options, scratch), migrations: [], migrationsRun: false, synchronize: false, dropSchema: false } as DataSourceOptions);
    await ds.initialize();
    try {
      // Schema only: roles belong to the whole server, so the rehearsal neither creates nor grants to them.
      const scratchMigrator = migrator.with({ dataSource: ds, via: 'rehearse', onEvent: () => undefined, privileges: undefined });
      const applied = state.migrations.filter((m) => m.applied).sort((a, b) => (a.appliedOrder ?? 0) - (b.appliedOrder ?? 0));
      say(`replaying ${applied.length} applied migration(s)`);
      const replay = await scratchMigrator.up({ only: applied.map((m) => m.name), allowOutOfOrder: true });
      if (replay.error) throw new MigratorError('rehearsal_failed', `replaying the applied history failed: ${replay.error.message}`);
      const steps: RehearsalStep[] = [];
      const downLeftovers: Record<string, string[]> = {};
      const historySchema = migrator.history.schema ?? 'public';
      const ignore = [`${historySchema}.${migrator.history.table}`, `${historySchema}.${migrator.history.checksumsTable}`];
      let failed = false;
      for (const name of state.pending) {
        const snapshot = await withRunner(ds, (r) => schemaSnapshot(r, ignore));
        for (const step of ['up', 'down', 'up again'] as const) {
          if (opts.signal?.aborted) break;
          const result = await runStep(scratchMigrator, step, name);
          steps.push(result);
          say(`${result.ok ? 'ok  ' : 'FAIL'} ${step.padEnd(8)} ${name} (${Math.round(result.durationMs)} ms)${result.error ? `: ${result.error}` : ''}`);
          if (!result.ok) {
            failed = true;
            break;
          }
          if (step === 'down') {
            const left = snapshotDifference(snapshot, await withRunner(ds, (r) => schemaSnapshot(r, ignore)));
            if (left.length) {
              downLeftovers[name] = left;
              failed = true;
            }
          }
        }
        if (failed || opts.signal?.aborted) break;
      }
      if (opts.signal?.aborted) {
        throw new MigratorError('rehearsal_failed', `rehearsal interrupted; the scratch database ${scratch} was dropped and the real database was not changed`);
      }
      const diff = await diffSchema(ds, opts.entityGroups);
      const drift = failed ? [] : diff.up.map((q) => q.query);
      report = {
        ok: !failed && drift.length === 0,
        scratchDatabase: scratch,
        replayed: applied.map((m) => m.name),
        steps,
        downLeftovers,
        drift,
        compared: diff.compared,
        durationMs: performance.now() - started,
      };
    } finally {
      await ds.destroy();
    }
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
    // WITH (FORCE) ends any session a failed migration left on the scratch database.
    await dropScratch();
    say(`dropped scratch database ${scratch}`);
  }
  return { ...report, dropped: true };
}

async function runStep(migrator: Migrator, step: RehearsalStep['step'], name: string): Promise<RehearsalStep> {
  const t0 = performance.now();
  try {
    const result = step === 'down' ? await migrator.down({ steps: 1 }) : await migrator.up({ only: [name], allowOutOfOrder: true });
    const ran = result.results.find((r) => r.name === name);
    if (result.error) return { migration: name, step, ok: false, durationMs: performance.now() - t0, error: result.error.message };
    if (!ran) return { migration: name, step, ok: false, durationMs: performance.now() - t0, error: `${name} did not run` };
    return { migration: name, step, ok: true, durationMs: ran.durationMs };
  } catch (err) {
    return { migration: name, step, ok: false, durationMs: performance.now() - t0, error: (err as Error).message };
  }
}

async function withRunner<T>(ds: DataSource, fn: (r: QueryRunner) => Promise<T>): Promise<T> {
  const runner = ds.createQueryRunner();
  try {
    return await fn(runner);
  } finally {
    await runner.release();
  }
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
