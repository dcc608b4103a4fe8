/** A failure the CLI reports as one line naming the problem and the fix; `exitCode` 2 is a usage error. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
    /** The server's stable error code, when the server answered with one. */
    readonly code?: string,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

export const usage = (message: string) => new CliError(message, 2);
