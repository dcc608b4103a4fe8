import { parseArgs } from 'node:util';
import { isMigratorError } from '../errors';
import type { MigratorEvent } from '../migrator-options';
import { EXIT, UsageError, type CliCommand, type CliHost, type CommandContext, type HostSession, type Io, type OptionSpec } from './command';
import { COMMANDS } from './commands';
import { unknownCommand } from './unknown-command';
import { usageText } from './usage';

/**
 * The generic CLI: parses the arguments, runs one command, prints its result (text, or --json)
 * and returns the exit code: 0 ok, 1 a problem found, 2 could not run (usage, configuration,
 * connection). It never exits and never reads the environment: the host does both.
 */
export async function runCli(argv: readonly string[], host: CliHost, io: Io, commands: readonly CliCommand[] = COMMANDS): Promise<number> {
  const words = host.words ?? ((t: string) => t);
  const out: Io = { out: (t) => io.out(words(t)), err: (t) => io.err(words(t)) };
  let json = argv.includes('--json');
  let session: Promise<HostSession> | undefined;
  try {
    // `down -2` reads like an option to any parser: take the step count out first.
    const stepArg = argv.findIndex((a, i) => i > 0 && /^-\d+$/.test(a));
    const steps = stepArg >= 0 ? Number(argv[stepArg]!.slice(1)) : undefined;
    const rest = stepArg >= 0 ? argv.filter((_, i) => i !== stepArg) : [...argv];
    const { values, positionals } = parseArgs({ args: rest, allowPositionals: true, strict: true, options: allOptions(host, commands) });
    json = values.json === true;
    const [given, ...args] = positionals;
    if (values.help || given === undefined) {
      out.out(usageText(host, commands));
      return values.help ? EXIT.ok : EXIT.usage;
    }
    const command = commands.find((c) => c.name === given || c.aliases?.includes(given));
    if (!command) throw new UsageError(unknownCommand(given, commands));
    refuseForeignOptions(command, values, commands);
    if (steps !== undefined && !command.takesSteps) {
      throw new UsageError(`-${steps} applies to ${list(commands.filter((c) => c.takesSteps).map((c) => c.name))}; up takes +N`);
    }
    const progress = (e: MigratorEvent) => {
      if (e.type === 'lock-wait') out.err(e.message);
      else if (e.type === 'privileges-applied' && e.createdRoles.length) out.err(`created role(s) ${e.createdRoles.join(', ')}`);
      else if (e.type === 'history-moved') out.err(`moved the migration history (migrations, migration_checksums) from schema ${e.from} to ${e.to}`);
      // One line as each migration starts, so a long one shows what is running; timings are in the summary.
      else if (e.type === 'migration-start' && e.total > 1) out.err(`[${e.index + 1}/${e.total}] ${e.direction} ${e.name}`);
    };
    const ctx: CommandContext = {
      command: command.name,
      args,
      values,
      steps,
      host,
      io: out,
      json,
      session: () => (session ??= Promise.resolve(host.session(values))),
      progress,
      print: (value, text) => out.out(json ? JSON.stringify(value, null, 2) : text),
      expectArgs: (max, what) => {
        if (args.length > max) throw new UsageError(`${command.name} takes ${what}, got: ${args.join(' ')}`);
      },
    };
    return await command.run(ctx);
  } catch (err) {
    return report(err, host, out, json);
  } finally {
    if (session) await (await session.catch(() => undefined))?.close();
  }
}

/** The global options, the host's, and every command's (each command refuses the others' below). */
function allOptions(host: CliHost, commands: readonly CliCommand[]): Record<string, OptionSpec> {
  const options: Record<string, OptionSpec> = { json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' }, ...host.options };
  for (const c of commands) for (const [name, spec] of Object.entries(c.options ?? {})) options[name] ??= spec;
  // parseArgs refuses keys it does not know (help) and undefined values.
  return Object.fromEntries(
    Object.entries(options).map(([name, { type, short, multiple }]) => [name, { type, ...(short ? { short } : {}), ...(multiple ? { multiple } : {}) }]),
  );
}

function refuseForeignOptions(command: CliCommand, values: Record<string, unknown>, commands: readonly CliCommand[]): void {
  for (const name of Object.keys(values)) {
    if (values[name] === undefined || name === 'json' || name === 'help' || command.options?.[name]) continue;
    const takers = commands.filter((c) => c.options?.[name]).map((c) => c.name);
    if (takers.length) throw new UsageError(`--${name} applies to ${list(takers)}, not ${command.name}`);
  }
}

const list = (names: readonly string[]) => (names.length > 1 ? `${names.slice(0, -1).join(', ')} and ${names.at(-1)}` : (names[0] ?? ''));

/** The one place errors become output and exit codes. */
function report(err: unknown, host: CliHost, io: Io, json: boolean): number {
  let code: number;
  let payload: { code: string; message: string; details?: unknown };
  const own = host.usageError?.(err);
  const parseError = (err as { code?: string })?.code;
  if (own) {
    code = EXIT.usage;
    payload = own;
  } else if (err instanceof UsageError) {
    code = EXIT.usage;
    payload = { code: err.code, message: `${err.message} (${host.invocation} --help)` };
  } else if (isMigratorError(err)) {
    code = err.kind === 'usage' ? EXIT.usage : EXIT.problem;
    payload = { code: err.code, message: err.message, details: err.details };
  } else if (parseError === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' || parseError === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' || parseError === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') {
    code = EXIT.usage;
    payload = { code: 'usage', message: `${(err as Error).message} (${host.invocation} --help)` };
  } else {
    code = EXIT.problem;
    payload = { code: 'unexpected', message: (err as Error)?.stack ?? String(err) };
  }
  if (json) io.out(JSON.stringify({ error: payload }, null, 2));
  else io.err(`error: ${payload.message}`);
  return code;
}
