import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { AuthClientError } from './errors';
import type { AccessTokenClaims, Role, Verifier } from './verify';

declare module 'express-serve-static-core' {
  interface Request {
    /** The verified access token's claims, set by requireAuth. */
    auth?: AccessTokenClaims;
  }
}

/** Answers like the auth service does: RFC 9457 problem+json with a stable `error`. */
function sendProblem(res: Response, err: AuthClientError): void {
  const headers: Record<string, string> = {};
  if (err.code === 'invalid_token') headers['www-authenticate'] = `Bearer error="invalid_token"`;
  if (err.code === 'auth_unavailable') headers['retry-after'] = '5';
  res
    .status(err.status)
    .set(headers)
    .type('application/problem+json')
    .send(JSON.stringify({ type: `urn:cathouse:problem:${err.code}`, title: err.code, status: err.status, detail: err.message, error: err.code }));
}

/**
 * Express middleware: requires `Authorization: Bearer <access token>`, verifies it, and puts
 * the claims on `req.auth`. 401 invalid_token otherwise; 503 when the JWKS cannot be fetched.
 */
export function requireAuth(verifier: Verifier): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    const match = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i.exec(req.headers.authorization ?? '');
    if (!match) {
      sendProblem(res, new AuthClientError('invalid_token', 'An access token is required (Authorization: Bearer <token>).'));
      return;
    }
    verifier.verify(match[1]!).then(
      (claims) => {
        req.auth = claims;
        next();
      },
      (err: unknown) => {
        if (err instanceof AuthClientError) sendProblem(res, err);
        else next(err);
      },
    );
  };
}

/** After requireAuth: lets the request through only if the token's role is one of `roles` (403 forbidden otherwise). */
export function requireRole(...roles: Role[]): RequestHandler {
  return (req, res, next) => {
    if (!req.auth) {
      sendProblem(res, new AuthClientError('invalid_token', 'An access token is required.'));
      return;
    }
    if (!roles.includes(req.auth.role)) {
      sendProblem(res, new AuthClientError('forbidden', `This needs the role ${roles.join(' or ')}.`));
      return;
    }
    next();
  };
}
