import type { ErrorRequestHandler, RequestHandler } from 'express';
import { isAppError } from '../../errors/app-error';
import { isDatabaseUnavailable } from '../../db/database-errors';
import { problemFor, sendAppError, sendProblem } from '../problem';

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
 * The one place errors become responses: AppErrors map to their code, body-parser failures to
 * 4xx, an unreachable database to 503, and anything else to a logged 500 with no stack or
 * message leaked to the client.
 */
export const errorHandler: ErrorRequestHandler = (err, req, res, next) => {
  if (res.headersSent) {
    next(err);
    return;
  }
  if (isAppError(err)) {
    sendAppError(res, err);
    return;
  }
  const bodyParserProblem = typeof err?.type === 'string' ? BODY_PARSER_ERRORS[err.type] : undefined;
  if (bodyParserProblem) {
    sendProblem(res, bodyParserProblem());
    return;
  }
  // The router cannot percent-decode a path parameter (e.g. /users/%zz): a bad request, not a fault.
  if (err instanceof URIError) {
    sendProblem(res, problemFor('invalid_request', 'The request path is not valid percent-encoding.'));
    return;
  }
  if (isDatabaseUnavailable(err)) {
    req.log?.warn({ err }, 'database unavailable');
    sendProblem(res, problemFor('database_unavailable', 'The database is unavailable; try again shortly.'), {
      'retry-after': '1',
    });
    return;
  }
  req.log?.error({ err }, 'unhandled error');
  sendProblem(res, problemFor('internal_error', 'An unexpected error occurred; it has been logged.'));
};
