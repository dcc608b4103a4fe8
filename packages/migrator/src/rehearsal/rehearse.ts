import { randomBytes } from 'node:crypto';
import { DataSource, type DataSourceOptions } from 'typeorm';
import { MigratorError } from '../errors';
import type { Migrator } from '../migrator';
import { copyData, type CopiedTable } from './copy-data';
import { createExtensions, extensionsToPrepare } from './extensions';
import { sameDatabase } from './same-database';
import { sizeHints } from './size-hints';
import { finish, type RehearsalOptions, type RehearsalReport } from './report';
import { runSteps } from './steps';

export type { RehearsalOptions, RehearsalReport } from './report';

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
    const hints = await sizeHints(migrator, opts.on, state.pending, opts.lintConfig);
    return finish(run, { mode: 'on', scratchDatabase: name, copied: [], replayed: [], dropped: false, extensions: [], sizeHints: hints }, opts.on, opts, started);
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
        {
          mode: opts.withData ? 'data' : 'scratch',
          scratchDatabase: scratch,
          copied,
          replayed: applied.map((m) => m.name),
          dropped: true,
          extensions,
          sizeHints: await sizeHints(migrator, real, state.pending, opts.lintConfig),
        },
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

/** The longest prefix of `s` that fits in `max` UTF-8 bytes (PostgreSQL limits names in bytes). */
function truncateBytes(s: string, max: number): string {
  let out = '';
  for (const ch of s) {
    if (Buffer.byteLength(out + ch) > max) break;
    out += ch;
  }
  return out;
}
