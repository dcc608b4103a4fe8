import type { ErrorRequestHandler } from 'express';
import type { ErrorCode } from '../errors/error-codes';
import { problemForError } from './middleware/error-handler';

/**
 * How an error of ours reads at the token endpoint (RFC 6749 §5.2). OAuth clients only understand
 * the codes of §5.2 (and of the extensions we serve, RFC 8693's invalid_target), so ours are mapped:
 * a wrong password is a bad grant (400 invalid_grant, not 401: 401 belongs to invalid_client), a
 * body that cannot be read is invalid_request (its 413/415/405 status kept: those say what HTTP
 * itself refused), an outage is temporarily_unavailable and a fault server_error, the names RFC 6749
 * §4.1.2.1 gives them. rate_limited and csrf_failed have no OAuth name and keep ours, as extension
 * codes beside their status (429 with Retry-After, 403).
 */
const OAUTH_CODE: Partial<Record<ErrorCode, string>> = {
  invalid_credentials: 'invalid_grant',
  account_disabled: 'invalid_grant',
  invalid_json: 'invalid_request',
  unsupported_media_type: 'invalid_request',
  payload_too_large: 'invalid_request',
  method_not_allowed: 'invalid_request',
  not_found: 'invalid_request',
  server_busy: 'temporarily_unavailable',
  database_unavailable: 'temporarily_unavailable',
  not_ready: 'temporarily_unavailable',
  // Issue 30: the CAPTCHA provider is down (fail-closed); captcha_required/_failed keep ours, like rate_limited.
  captcha_unavailable: 'temporarily_unavailable',
  internal_error: 'server_error',
};

/** Statuses that change with the code: RFC 6749 §5.2 answers a bad grant with 400. */
const OAUTH_STATUS: Partial<Record<ErrorCode, number>> = { invalid_credentials: 400, account_disabled: 400 };

/**
 * Error handler for the token endpoint only: RFC 6749 §5.2 error responses (application/json with
 * `error` and `error_description`, never cached), where the rest of the API answers problem+json.
 * It receives every error of that path, body-parser failures included, so mount it on the path
 * before the general handler.
 */
export const oauthTokenErrorHandler: ErrorRequestHandler = (err, req, res, next) => {
  if (res.headersSent) {
    next(err);
    return;
  }
  const { problem, headers } = problemForError(err, req);
  const code = problem.error;
  res.locals.errorCode = code;
  const body: Record<string, unknown> = { error: OAUTH_CODE[code] ?? code, error_description: problem.detail };
  // Extension members a client may use (RFC 6749 §5.2 allows more than error and error_description).
  if (typeof problem.retry_after === 'number') body.retry_after = problem.retry_after;
  if (Array.isArray(problem.invalid_params)) body.invalid_params = problem.invalid_params;
  // Issue 26: a password grant for an account with a second factor answers the MFA challenge.
  if (code === 'mfa_required') Object.assign(body, { mfa_token: problem.mfa_token, expires_in: problem.expires_in, factors: problem.factors });
  if (typeof problem.captcha_action === 'string') body.captcha_action = problem.captcha_action;
  const requestId = res.getHeader('x-request-id');
  if (typeof requestId === 'string') body.request_id = requestId;
  res
    .status(OAUTH_STATUS[code] ?? problem.status)
    .set(headers)
    .set({ 'cache-control': 'no-store', pragma: 'no-cache' })
    .type('application/json')
    .send(JSON.stringify(body));
};
