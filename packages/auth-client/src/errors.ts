/** Stable codes, the same names the auth service uses in its problem+json `error`. */
export type AuthClientErrorCode = 'invalid_token' | 'forbidden' | 'auth_unavailable';

const STATUS: Record<AuthClientErrorCode, number> = { invalid_token: 401, forbidden: 403, auth_unavailable: 503 };

/** Every failure of this package: branch on `code`, never on the message. */
export class AuthClientError extends Error {
  readonly status: number;

  constructor(
    readonly code: AuthClientErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'AuthClientError';
    this.status = STATUS[code];
  }
}
