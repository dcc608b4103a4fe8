import { ERROR_CODES, type ErrorCode } from './error-codes';

/**
 * The one error type of the service. `code` is stable and machine-readable; `detail` is safe
 * to show to a client (never a stack, a query or a secret). Domain code throws it, the HTTP
 * error handler and the CLI map it once.
 */
export class AppError extends Error {
  readonly status: number;
  readonly title: string;

  constructor(
    readonly code: ErrorCode,
    readonly detail: string,
    readonly extra: { headers?: Record<string, string>; fields?: Record<string, unknown> } = {},
  ) {
    super(detail);
    this.name = 'AppError';
    this.status = ERROR_CODES[code].status;
    this.title = ERROR_CODES[code].title;
  }
}

export function isAppError(err: unknown): err is AppError {
  return err instanceof AppError;
}
