import type { NextFunction, Request, RequestHandler, Response } from 'express';
import jwt from 'jsonwebtoken';
import { AuthClientError } from './errors';
import type { AccessTokenClaims, InstallationTokenClaims, Role, ServiceTokenClaims, VerifiedToken, Verifier } from './verify';

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
  if (err.code === 'insufficient_user_authentication') headers['www-authenticate'] = stepUpChallenge(err);
  if (err.code === 'auth_unavailable') headers['retry-after'] = '5';
  res
    .status(err.status)
    .set(headers)
    .type('application/problem+json')
    .send(JSON.stringify({ type: `urn:cathouse:problem:${err.code}`, title: err.code, status: err.status, detail: err.message, error: err.code, ...err.stepUp }));
}

/**
 * RFC 9470 §3's challenge, written as the auth service writes its own step-up refusal
 * (src/auth/factors/step-up-policy.ts: error, error_description, then max_age; quoted values).
 */
function stepUpChallenge(err: AuthClientError): string {
  const quoted = (v: string) => `"${v.replace(/["\\]/g, "'")}"`;
  const params = [`error="insufficient_user_authentication"`, `error_description=${quoted(err.message)}`];
  if (err.stepUp?.max_age !== undefined) params.push(`max_age="${err.stepUp.max_age}"`);
  if (err.stepUp?.acr_values !== undefined) params.push(`acr_values=${quoted(err.stepUp.acr_values)}`);
  return `Bearer ${params.join(', ')}`;
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

/**
 * The RFC 8176 methods that prove a second factor, as the auth service's own step-up counts them
 * (SECOND_FACTOR_METHODS in src/auth/oidc/authentication-context.ts): `requireAuthentication({ amr:
 * SECOND_FACTOR_METHODS, maxAgeSeconds: 600 })` asks what the service asks before its sensitive actions.
 */
export const SECOND_FACTOR_METHODS: readonly string[] = ['otp', 'hwk', 'swk', 'mfa'];

/** What requireAuthentication() asks of the sign-in behind a user's token; give at least one. */
export interface AuthenticationRequirements {
  /**
   * The token's `amr` must hold **any one** of these (an alternative list, like RFC 9470's
   * `acr_values`): `['otp', 'hwk', 'swk']` reads "a second factor of any kind". To need two
   * methods together, ask for `mfa`, which the service adds when two kinds of factor were used.
   */
  amr?: readonly string[];
  /** The token's `acr` must be exactly this (the service's multi-factor one: `urn:cathouse:acr:mfa`). */
  acr?: string;
  /** The token's `auth_time` (sign-in or last step-up) must be at most this many seconds ago. */
  maxAgeSeconds?: number;
}

/**
 * After requireAuth: a session's user token whose sign-in meets `requirements`. A token that falls
 * short (or predates `amr` and `auth_time`) is answered as the auth service answers its own
 * sensitive actions, so a frontend handles both alike: 401 `insufficient_user_authentication`
 * with RFC 9470's `WWW-Authenticate: Bearer error="insufficient_user_authentication", ...,
 * max_age="…", acr_values="…"` and those members in the problem; the user steps up at the auth
 * service (POST step-up, which gives the same session a new access token) and retries. Service and
 * installation tokens, and tokens made from a personal access token (no sign-in to step up), are
 * 403 forbidden; no token is 401 invalid_token. Throws TypeError at set-up for empty requirements.
 */
export function requireAuthentication(requirements: AuthenticationRequirements): RequestHandler {
  const { amr, acr, maxAgeSeconds } = requirements;
  if (amr === undefined && acr === undefined && maxAgeSeconds === undefined) {
    throw new TypeError('requireAuthentication() needs amr, acr or maxAgeSeconds: say what the sign-in must have been.');
  }
  if (amr !== undefined && amr.length === 0) throw new TypeError('requireAuthentication(): amr is empty; name the methods of which one is required, or leave it out.');
  if (maxAgeSeconds !== undefined && !(Number.isInteger(maxAgeSeconds) && maxAgeSeconds > 0)) {
    throw new TypeError(`requireAuthentication(): maxAgeSeconds must be a positive whole number of seconds, not ${maxAgeSeconds}.`);
  }
  const stepUp = {
    ...(maxAgeSeconds !== undefined && { max_age: maxAgeSeconds }),
    ...(acr !== undefined && { acr_values: acr }),
    ...(amr !== undefined && { amr_values: [...amr] }),
  };
  const sessionToken = guard('user', 'a signed-in session', () => true);
  return (req, res, next) => {
    if (req.auth?.kind === 'user' && req.auth.pat_id !== undefined) {
      sendProblem(res, new AuthClientError('forbidden', 'This needs a signed-in session: a token made from a personal access token has no sign-in (amr, auth_time) to check or step up.'));
      return;
    }
    sessionToken(req, res, () => {
      const claims = req.auth as AccessTokenClaims;
      const missing: string[] = [];
      if (amr !== undefined && !(Array.isArray(claims.amr) && claims.amr.some((m) => amr.includes(m)))) {
        missing.push(`a sign-in with ${amr.join(' or ')}${claims.amr === undefined ? ' (this token carries no amr)' : ''}`);
      }
      if (acr !== undefined && claims.acr !== acr) missing.push(`the authentication context ${acr}`);
      if (maxAgeSeconds !== undefined && !(typeof claims.auth_time === 'number' && Date.now() / 1000 - claims.auth_time <= maxAgeSeconds)) {
        missing.push(`an authentication within the last ${maxAgeSeconds} seconds${claims.auth_time === undefined ? ' (this token carries no auth_time)' : ''}`);
      }
      if (missing.length === 0) {
        next();
        return;
      }
      const detail = `This needs ${missing.join(' and ')}: step up at the auth service (POST step-up), then try again.`;
      sendProblem(res, new AuthClientError('insufficient_user_authentication', detail, { stepUp }));
    });
  };
}
