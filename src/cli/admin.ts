/**
 * `npm run admin -- <command>`: account administration without SQL, over the migration
 * connection (MIGRATION_DATABASE_URL, or the embedded development database), so the first admin
 * of a new deployment can be made before anyone can log in as one. A thin shell like
 * `npm run migrate`: it parses arguments, calls one domain function (src/auth/users.ts), prints
 * what it did (text, or --json), and picks the exit code: 0 ok, 1 problem (no such user, last
 * admin, database error), 2 usage or configuration error.
 */
import { parseArgs } from 'node:util';
import { USER_ROLES, type UserRole } from '../db/entities/user.entity';
import { ConfigError, loadConfig } from '../config/config';
import { isAppError } from '../errors/app-error';
import { isMigratorError } from '@cathouse/migrator/read';

/** The exit codes of `npm run migrate` (src/cli/main.ts). */
export const EXIT = { ok: 0, problem: 1, usage: 2 } as const;

const USAGE = `usage: npm run admin -- <command> [options]

  promote EMAIL                make the user an admin
  demote EMAIL [--role ROLE]   take admin away: the user becomes ROLE (player, the default, or developer);
                               the last active admin cannot be demoted

  --json   machine-readable output
  connects with MIGRATION_DATABASE_URL (the direct endpoint), or to the embedded development database
  exit codes: 0 ok (also when nothing needed changing), 1 problem (no such user, last admin), 2 usage or configuration`;

interface Io {
  out(text: string): void;
  err(text: string): void;
}

const stdio: Io = {
  out: (t) => process.stdout.write(t.endsWith('\n') ? t : `${t}\n`),
  err: (t) => process.stderr.write(t.endsWith('\n') ? t : `${t}\n`),
};

class UsageError extends Error {
  readonly code = 'usage';
}

/** Runs one invocation and returns its exit code. */
export async function main(argv: string[], io: Io = stdio, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  let json = false;
  try {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        json: { type: 'boolean', default: false },
        role: { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
    json = values.json;
    const [command, email, ...extra] = positionals;
    if (values.help || !command) {
      io.out(USAGE);
      return values.help ? EXIT.ok : EXIT.usage;
    }
    if (command !== 'promote' && command !== 'demote') throw new UsageError(`unknown command "${command}"`);
    if (!email || extra.length) throw new UsageError(`${command} takes one EMAIL`);
    if (values.role !== undefined && command !== 'demote') throw new UsageError('--role applies to demote');
    const role = (command === 'promote' ? 'admin' : (values.role ?? 'player')) as UserRole;
    if (!USER_ROLES.includes(role) || (command === 'demote' && role === 'admin')) {
      throw new UsageError(`--role must be player or developer, not ${values.role}`);
    }

    const config = loadConfig(env);
    // TypeORM and the entities are loaded only once the arguments are known to be good.
    /* eslint-disable @typescript-eslint/no-require-imports */
    require('reflect-metadata');
    const { MigrationDataSource } = require('../db/migration-data-source') as typeof import('../db/migration-data-source');
    const { setRoleByEmail } = require('../auth/users') as typeof import('../auth/users');
    /* eslint-enable @typescript-eslint/no-require-imports */
    const dataSource = new MigrationDataSource(config, undefined, { loadMigrations: false, loadEntities: true });
    await dataSource.initialize();
    try {
      const result = await setRoleByEmail(dataSource, email, role, { actorId: null, via: 'cli' });
      const text = result.changed
        ? `${command === 'promote' ? 'promoted' : 'demoted'} ${result.user.email} (${result.user.id}): role ${result.from} -> ${result.user.role}`
        : `${result.user.email} (${result.user.id}) is already ${result.user.role}: nothing changed`;
      io.out(json ? JSON.stringify(result, null, 2) : text);
      if (!json && result.changed && role === 'admin' && !result.user.is_active) {
        io.err(`note: ${result.user.email} is deactivated; an admin can reactivate it (PATCH users/{id} {"is_active": true})`);
      }
      return EXIT.ok;
    } finally {
      await dataSource.destroy();
    }
  } catch (err) {
    return report(err, io, json);
  }
}

/** The one place errors become output and exit codes. */
function report(err: unknown, io: Io, json: boolean): number {
  let code: number;
  let payload: { code: string; message: string };
  const nodeCode = (err as { code?: string })?.code;
  if (err instanceof UsageError || nodeCode === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' || nodeCode === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
    code = EXIT.usage;
    payload = { code: 'usage', message: `${(err as Error).message} (npm run admin -- --help)` };
  } else if (err instanceof ConfigError) {
    code = EXIT.usage;
    payload = { code: err.code, message: err.message };
  } else if (isAppError(err)) {
    code = EXIT.problem;
    payload = { code: err.code, message: err.detail };
  } else if (isMigratorError(err)) {
    // From the connection (a pooler refused, unreachable): the message names MIGRATION_DATABASE_URL.
    code = err.kind === 'usage' ? EXIT.usage : EXIT.problem;
    payload = { code: err.code, message: err.message };
  } else {
    code = EXIT.problem;
    payload = { code: 'unexpected', message: (err as Error)?.stack ?? String(err) };
  }
  if (json) io.out(JSON.stringify({ error: payload }, null, 2));
  else io.err(`error: ${payload.message}`);
  return code;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`${(err as Error)?.stack ?? String(err)}\n`);
      process.exitCode = EXIT.problem;
    },
  );
}
