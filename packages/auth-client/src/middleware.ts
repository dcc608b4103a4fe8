import type { NextFunction, Request, RequestHandler, Response } from 'express';
import jwt from 'jsonwebtoken';
import { AuthClientError } from './errors';
import type { InstallationTokenClaims, Role, ServiceTokenClaims, VerifiedToken, Verifier } from './verify';

declare module 'express-serve-static-core' {
  interface Request {
    /** The verified token's claims, set by requireAuth; `kind` says which of the three it is. */
    auth?: VerifiedToken;
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
 * the claims on `req.auth`. With several verifiers (say a user and a service verifier on the
 * same routes), the token goes to the one whose audience it names; a token for no audience
 * here is 401 invalid_token. 503 when the JWKS cannot be fetched.
 */
export function requireAuth(...verifiers: Verifier<VerifiedToken>[]): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    const match = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i.exec(req.headers.authorization ?? '');
    if (!match) {
      sendProblem(res, new AuthClientError('invalid_token', 'An access token is required (Authorization: Bearer <token>).'));
      return;
    }
    const token = match[1]!;
    let verifier: Verifier<VerifiedToken> | undefined = verifiers[0];
    if (verifiers.length > 1) {
      // Unverified, only to choose the verifier; the chosen one checks everything, `aud` included.
      const aud = (jwt.decode(token, { json: true }) ?? {}).aud;
      verifier = verifiers.find((v) => v.audience === aud);
    }
    if (!verifier) {
      sendProblem(res, new AuthClientError('invalid_token', 'The access token is not for this service.'));
      return;
    }
    verifier.verify(token).then(
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

/** A guard: passes only a verified token of `kind` that `allows`; 401 without a token, 403 otherwise. */
function guard<K extends VerifiedToken['kind']>(
  kind: K,
  needs: string,
  allows: (claims: Extract<VerifiedToken, { kind: K }>) => boolean,
): RequestHandler {
  return (req, res, next) => {
    if (!req.auth) {
      sendProblem(res, new AuthClientError('invalid_token', 'An access token is required.'));
      return;
    }
    if (req.auth.kind !== kind) {
      sendProblem(res, new AuthClientError('forbidden', `This needs a ${kind} token, not a ${req.auth.kind} token.`));
      return;
    }
    if (!allows(req.auth as Extract<VerifiedToken, { kind: K }>)) {
      sendProblem(res, new AuthClientError('forbidden', `This needs ${needs}.`));
      return;
    }
    next();
  };
}

/** Requests whose PAT-derived token has passed requireUserScope: requireRole lets those through. */
const scopeChecked = new WeakSet<Request>();

/**
 * After requireAuth: a user's token whose role is one of `roles` (403 forbidden otherwise, and for
 * service or installation tokens). A token made from a personal access token passes only after
 * requireUserScope() on the same route: a route that names no scope is for sessions only.
 */
export function requireRole(...roles: Role[]): RequestHandler {
  const byRole = guard('user', `the role ${roles.join(' or ')}`, (claims) => roles.includes(claims.role));
  return (req, res, next) => {
    if (req.auth?.kind === 'user' && req.auth.pat_id !== undefined && !scopeChecked.has(req)) {
      sendProblem(res, new AuthClientError('forbidden', 'This route does not accept personal access tokens (it names no scope for them).'));
      return;
    }
    byRole(req, res, next);
  };
}

/**
 * After requireAuth: a user's token allowed `scopes`. A session's token holds every scope its role
 * has (the service's own role checks still apply: put requireRole after this); a token made from a
 * personal access token must carry each of them in `scope` (403 forbidden otherwise).
 */
export function requireUserScope(...scopes: string[]): RequestHandler {
  const check = guard('user', `the scope ${scopes.join(' and ')}`, (claims) => claims.pat_id === undefined || scopes.every((s) => claims.scopes.includes(s)));
  return (req, res, next) =>
    check(req, res, () => {
      scopeChecked.add(req);
      next();
    });
}

/** After requireAuth: a service token holding every scope in `scopes` (403 otherwise, and for user or installation tokens). */
export function requireScope(...scopes: string[]): RequestHandler {
  return guard('service', `the scope ${scopes.join(' and ')}`, (claims: ServiceTokenClaims) => scopes.every((s) => claims.scopes.includes(s)));
}

/**
 * After requireAuth: an installation token, with `permission` among its granted `perms` when
 * given (403 otherwise, and for user or service tokens).
 */
export function requireInstallation({ permission }: { permission?: string } = {}): RequestHandler {
  return guard('installation', `the permission ${permission}`, (claims: InstallationTokenClaims) => permission === undefined || claims.perms.includes(permission));
}
