import type { Request, RequestHandler } from 'express';
import { AppError } from '../../errors/app-error';

/** The same test as type-is's hasBody: a body is announced by Transfer-Encoding or a non-zero Content-Length. */
export function hasBody(req: Request): boolean {
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

/**
 * Refuses a request body of any other media type with 415 (a body parser that does not match
 * leaves `req.body` unset, which would otherwise read as "no fields"). A request without a body
 * passes, and its body reads as `{}`.
 */
export function requireBodyType(...types: string[]): RequestHandler {
  return (req, _res, next) => {
    if (!hasBody(req)) {
      req.body = {};
      next();
      return;
    }
    if (!req.is(types)) {
      next(new AppError('unsupported_media_type', `Send the request body as ${types.join(' or ')}.`));
      return;
    }
    next();
  };
}
