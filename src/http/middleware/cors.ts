import cors from 'cors';
import type { RequestHandler } from 'express';

/**
 * CORS for the browser apps of CORS_ORIGINS only. A listed origin gets its own origin echoed and
 * `Access-Control-Allow-Credentials: true` (needed for the refresh cookie); any other origin gets
 * no CORS headers at all, so browsers keep its scripts from reading our answers.
 */
export function corsForAllowList(origins: readonly string[]): RequestHandler {
  const allowed = new Set(origins);
  const withOrigin = cors({
    origin: (origin, callback) => callback(null, origin !== undefined && allowed.has(origin) ? origin : false),
    credentials: true,
    methods: ['GET', 'POST', 'PATCH', 'DELETE', 'OPTIONS'],
    allowedHeaders: ['Authorization', 'Content-Type', 'X-Requested-With', 'X-Request-Id'],
    exposedHeaders: ['Retry-After', 'WWW-Authenticate', 'X-Request-Id'],
    maxAge: 600,
  });
  // A request without Origin is not a CORS request (browsers send Origin on every cross-origin
  // one): it gets only the Vary that keeps caches from serving it to one that is, and skips the
  // cors package's per-request option handling.
  return (req, res, next) => {
    if (req.headers.origin === undefined) {
      res.vary('Origin');
      next();
      return;
    }
    withOrigin(req, res, next);
  };
}
