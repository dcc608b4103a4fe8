/**
 * Codes of our own, next to the API's error codes (`invalid_credentials`, `email_taken`,
 * `rate_limited`, `csrf_failed`... see docs/api.md), which AuthError carries unchanged.
 */
export type ClientErrorCode =
  /** There is no session (never signed in, signed out, or the server ended it). Show the login screen. */
  | 'signed_out'
  /** The auth service could not be reached. The session is kept: try again later. */
  | 'network_error'
  /** The auth service answered something other than a problem document (e.g. a proxy's 502). The session is kept. */
  | 'server_error'
  /** Another tab refreshed the session but its tokens never reached this tab. This tab stops using the session. */
  | 'out_of_sync'
  /** Bearer mode against a service that keeps refresh tokens in a cookie (REFRESH_TOKEN_COOKIE=true). */
  | 'mode_mismatch'
  /** startAppRedirectSignIn on a runtime without Web Crypto (React Native) and no `crypto` option given. */
  | 'no_crypto';

/** The only error this package throws (or rejects with). Branch on `code`, never on `message`. */
export class AuthError extends Error {
  override readonly name = 'AuthError';

  constructor(
    /** One of ClientErrorCode or an API error code such as `invalid_credentials`. */
    readonly code: ClientErrorCode | (string & {}),
    message: string,
    /** The HTTP status when the API answered. */
    readonly status?: number,
    /** The problem document's `detail` when the API answered one. */
    readonly detail?: string,
    /** The whole problem document: its extension members (`mfa_token` and `factors` of `mfa_required`, `factors` of a step-up). */
    readonly data?: Record<string, unknown>,
  ) {
    super(message);
  }
}

/** True for failures that leave the session intact, worth retrying later (network, 5xx, rate limit). */
export function isTransient(error: unknown): boolean {
  if (!(error instanceof AuthError)) return false;
  return (
    error.code === 'network_error' ||
    error.code === 'server_error' ||
    error.code === 'rate_limited' ||
    error.code === 'database_unavailable' ||
    (error.status !== undefined && error.status >= 500)
  );
}
