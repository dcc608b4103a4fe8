import type { ErrorRequestHandler, Request, RequestHandler } from 'express';
import { isAppError } from '../../errors/app-error';
import { isDatabaseUnavailable } from '../../db/database-errors';
import { problemFor, sendProblem, type Problem } from '../problem';
import { localizeProblem } from './localize-problem';

/** Errors raised by express's body parsers carry a `type`; each gets its own stable code. */
const BODY_PARSER_ERRORS: Record<string, () => ReturnType<typeof problemFor>> = {
  'entity.parse.failed': () => problemFor('invalid_json', 'The request body is not valid JSON.'),
  'entity.too.large': () => problemFor('payload_too_large', 'The request body is larger than the service accepts.'),
  'encoding.unsupported': () => problemFor('unsupported_media_type', 'The request body encoding is not supported.'),
  'charset.unsupported': () => problemFor('unsupported_media_type', 'The request body charset is not supported; use UTF-8.'),
  'request.aborted': () => problemFor('invalid_request', 'The request body was not received in full.'),
  'request.size.invalid': () => problemFor('invalid_request', 'The request body length does not match Content-Length.'),
  'parameters.too.many': () => problemFor('payload_too_large', 'The request has too many form parameters.'),
};

export const notFoundHandler: RequestHandler = (req, res) => {
  sendProblem(res, problemFor('not_found', `No route for ${req.method} ${req.path}.`));
};

/**
 * The one place errors are judged: AppErrors map to their code, body-parser failures to 4xx, an
 * unreachable database to 503 (logged at warn), and anything else to a logged 500 with no stack or
 * message leaked. Renderers (problem+json here, RFC 6749 JSON at /token) only format the result.
 */
export function problemForError(err: unknown, req: Request): { problem: Problem; headers: Record<string, string> } {
  if (isAppError(err)) return { problem: problemFor(err.code, err.detail, err.extra.fields), headers: err.extra.headers ?? {} };
  const type = (err as { type?: unknown } | null)?.type;
  const bodyParserProblem = typeof type === 'string' ? BODY_PARSER_ERRORS[type] : undefined;
  if (bodyParserProblem) return { problem: bodyParserProblem(), headers: {} };
  // The router cannot percent-decode a path parameter (e.g. /users/%zz): a bad request, not a fault.
  if (err instanceof URIError) return { problem: problemFor('invalid_request', 'The request path is not valid percent-encoding.'), headers: {} };
  if (isDatabaseUnavailable(err)) {
    // A known outage fails every request alike: no stack per request, only the completion line
    // (at warn, error_code database_unavailable) with the driver's short reason.
    if (req.res) req.res.locals.databaseError = databaseErrorReason(err);
    return { problem: problemFor('database_unavailable', 'The database is unavailable; try again shortly.'), headers: { 'retry-after': '1' } };
  }
  req.log?.error({ err }, 'unhandled error');
  return { problem: problemFor('internal_error', 'An unexpected error occurred; it has been logged.'), headers: {} };
}

/** The API's error handler: every error as RFC 9457 problem+json (see problemForError). */
export const errorHandler: ErrorRequestHandler = (err, req, res, next) => {
  if (res.headersSent) {
    next(err);
    return;
  }
  const { problem, headers } = problemForError(err, req);
  sendProblem(res, localizeProblem(problem, req, res), headers);
};

/** The SQLSTATE or socket code and the first line of the message: enough to tell an outage's kind. */
function databaseErrorReason(err: unknown): string {
  const e = err as { code?: unknown; message?: unknown; driverError?: { code?: unknown } };
  const code = e.code ?? e.driverError?.code;
  const message = typeof e.message === 'string' ? e.message.split('\n')[0]!.slice(0, 200) : '';
  return typeof code === 'string' ? `${code}: ${message}` : message;
}
