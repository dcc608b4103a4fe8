/**
 * `npm run migrate -- <command>` (bin `cathouse-migrate`): @cathouse/migrator's generic CLI with
 * Cat House's host (migrate/host.ts: configuration, roles and privilege policy, paths, words).
 * Commands, output and exit codes (0 ok, 1 problem found, 2 could not run) are the generic CLI's.
 */
import { EXIT, dropQueuedQueryWarning, exitWith, runCli, stdio, type Io } from '@cathouse/migrator/cli';
import { catHouseHost } from './migrate/host';

export { EXIT, exitWith };

dropQueuedQueryWarning();

/** Runs one CLI invocation and returns its exit code. */
export function main(argv: string[], io: Io = stdio): Promise<number> {
  return runCli(argv, catHouseHost, io);
}

if (require.main === module) {
  main(process.argv.slice(2)).then(exitWith, (err: unknown) => {
    process.stderr.write(`${(err as Error)?.stack ?? String(err)}\n`);
    exitWith(EXIT.problem);
  });
}
