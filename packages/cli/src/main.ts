import { assertKnownFlags, assertValuesGiven, parseArgs, type ParsedArgs } from './args';
import { CliError } from './errors';
import { login, logout, whoami } from './commands/session-commands';
import { tokens } from './commands/tokens';
import type { Io } from './io';

export type { Io } from './io';

/**
 * `cathouse`: the reference CLI of Cat House developer credentials (issue 28). It parses the
 * arguments, runs one command, prints one line per failure (the problem and the fix) and answers
 * an exit code: 0 done, 1 failed, 2 usage. docs/developer-credentials.md shows it in use.
 */

const HELP = `usage: cathouse <command> [options]

  login [--server URL]             sign in through the browser (device code); the session is kept in
                                   ~/.config/cathouse/credentials.json (mode 0600)
  whoami [--json]                  who the stored session is (with CATHOUSE_TOKEN: who a personal access token is)
  logout                           end the session on the server and forget it here
  tokens create --name N --scope S [--scope S...] (--expires-in 30d | --expires-at ISO) [--json]
                                   a personal access token, printed once (for CI: CATHOUSE_TOKEN)
  tokens list [--json]             your tokens, with last use
  tokens revoke ID | --all         revoke one token, or every token

  environment: CATHOUSE_SERVER (the auth service, default http://localhost:3000), CATHOUSE_TOKEN (a
  personal access token), CATHOUSE_CONFIG_DIR (where the session is kept)
  exit codes: 0 ok, 1 failed, 2 usage
`;

const COMMANDS: Record<string, { flags: string[]; run(args: ParsedArgs, io: Io): Promise<number> }> = {
  login: { flags: ['server'], run: login },
  whoami: { flags: ['server', 'json'], run: whoami },
  logout: { flags: [], run: logout },
  tokens: { flags: ['name', 'scope', 'expires-in', 'expires-at', 'json', 'all'], run: tokens },
};

export async function main(argv: readonly string[], io: Io): Promise<number> {
  try {
    const args = parseArgs(argv);
    const name = args.positionals[0];
    if (!name || name === 'help' || args.flags.has('help')) {
      io.stdout.write(HELP);
      return name || args.flags.has('help') ? 0 : 2;
    }
    const command = COMMANDS[name];
    if (!command) throw new CliError(`unknown command ${name}: run cathouse help`, 2);
    assertKnownFlags(args, command.flags);
    assertValuesGiven(args);
    return await command.run(args, io);
  } catch (err) {
    if (!(err instanceof CliError)) throw err;
    io.stderr.write(`cathouse: ${err.message}\n`);
    return err.exitCode;
  }
}
