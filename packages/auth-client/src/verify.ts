import jwt from 'jsonwebtoken';
import { AuthClientError } from './errors';
import { createJwksClient, type JwksClient, type JwksOptions } from './jwks';

export const ROLES = ['player', 'developer', 'admin'] as const;
/** A guest player's role (issue 25): its tokens carry `is_anonymous: true`, and verifiers refuse them unless `allowGuests`. */
export type Role = (typeof ROLES)[number] | 'guest';

/** The three kinds of Cat House access token; each has its own audience and its own verifier. */
export type TokenKind = 'user' | 'service' | 'installation';

/** The claims of a user's access token (DESIGN.md §5). */
export interface AccessTokenClaims {
  kind: 'user';
  iss: string;
  aud: string | string[];
  /** The user id. */
  sub: string;
  /** The session id. */
  sid: string;
  role: Role;
  /** Only in a guest player's token (issue 25), and then true. */
  is_anonymous?: true;
  iat: number;
  exp: number;
  jti: string;
}

/** A service's token from the client credentials grant: `sub` = `client_id` = the service. */
export interface ServiceTokenClaims {
  kind: 'service';
  iss: string;
  aud: string;
  sub: string;
  client_id: string;
  /** Space-separated, as issued. */
  scope: string;
  /** `scope` split. */
  scopes: string[];
  iat: number;
  exp: number;
  jti: string;
}

/** A cat's token from token exchange: one user's installation of one cat, acting through the proxy. */
export interface InstallationTokenClaims {
  kind: 'installation';
  iss: string;
  /** `cat:<cat_id>` */
  aud: string;
  /** The user whose installation this is. */
  sub: string;
  installation_id: string;
  cat_id: string;
  /** The permission types the installation has granted (storage, notification, external_api). */
  perms: string[];
  /** RFC 8693 §4.1: the client (the proxy) that obtained the token. */
  act: { sub: string };
  client_id: string;
  iat: number;
  exp: number;
  jti: string;
}

export type VerifiedToken = AccessTokenClaims | ServiceTokenClaims | InstallationTokenClaims;

interface CommonOptions extends JwksOptions {
  /** Expected `iss` (the auth service's JWT_ISSUER). */
  issuer: string;
  /** Leeway for clock skew on exp/iat, in seconds. Default 0. */
  clockToleranceSeconds?: number;
  /** A JWKS client to share between verifiers of several kinds (one cache, one fetch). */
  jwks?: JwksClient;
}

export interface VerifierOptions extends CommonOptions {
  /** Expected `aud` (the auth service's JWT_AUDIENCE). */
  audience: string;
  /**
   * Accept guest players' tokens (role `guest`, `is_anonymous: true`, issue 25). Default false: a
   * service that has not decided what a guest may do refuses them as invalid_token.
   */
  allowGuests?: boolean;
}

export interface ServiceVerifierOptions extends CommonOptions {
  /** Expected `aud` (the auth service's SERVICE_TOKEN_AUDIENCE, default cathouse-services). */
  audience: string;
}

export interface InstallationVerifierOptions extends CommonOptions {
  /** This cat's id: only tokens with `aud` = `cat:<catId>` are accepted. */
  catId: string;
}

export interface Verifier<C extends VerifiedToken = AccessTokenClaims> {
  readonly kind: C['kind'];
  /** The audience this verifier accepts (requireAuth routes a token to the verifier of its `aud`). */
  readonly audience: string;
  /** Resolves to the claims of a valid token of this verifier's kind; rejects with AuthClientError otherwise. */
  verify(token: string): Promise<C>;
  readonly jwks: JwksClient;
}

type Payload = Record<string, unknown>;
const isString = (v: unknown): v is string => typeof v === 'string' && v.length > 0;

/**
 * The checks every kind shares: ES256 only (so `none` and HMAC with the public key are refused),
 * `typ: at+jwt` from the complete header, `iss`, the exact `aud`, `exp`, and a key chosen by
 * `kid` from the JWKS. Then the kind's own claims are required and the other kinds' refused, so
 * a token of one kind never passes for another even if audiences were misconfigured.
 */
function baseVerifier<C extends VerifiedToken>(
  kind: C['kind'],
  audience: string,
  options: CommonOptions,
  claimsOf: (payload: Payload) => C | undefined,
): Verifier<C> {
  const jwks = options.jwks ?? createJwksClient(options);
  return {
    kind,
    audience,
    jwks,
    async verify(token) {
      const header = decodeHeader(token);
      if (!header) throw new AuthClientError('invalid_token', 'The access token is not a JWT.');
      if (header.alg !== 'ES256') throw new AuthClientError('invalid_token', 'The access token must be signed with ES256.');
      if (header.typ !== 'at+jwt') throw new AuthClientError('invalid_token', 'The token is not an access token (typ must be at+jwt).');
      const kid = header.kid;
      if (typeof kid !== 'string') throw new AuthClientError('invalid_token', 'The access token has no kid.');
      const key = await jwks.getKey(kid);
      let payload: jwt.JwtPayload;
      try {
        payload = jwt.verify(token, key, {
          algorithms: ['ES256'],
          issuer: options.issuer,
          audience,
          clockTolerance: options.clockToleranceSeconds ?? 0,
        }) as jwt.JwtPayload;
      } catch (err) {
        const expired = err instanceof jwt.TokenExpiredError;
        throw new AuthClientError('invalid_token', expired ? 'The access token has expired.' : 'The access token is invalid.', { cause: err });
      }
      if (Array.isArray(payload.aud)) throw new AuthClientError('invalid_token', 'The access token must have exactly one audience.');
      if (!isString(payload.sub) || !isString(payload.jti) || typeof payload.exp !== 'number' || typeof payload.iat !== 'number') {
        throw new AuthClientError('invalid_token', 'The access token lacks required claims.');
      }
      const claims = claimsOf(payload);
      if (!claims) throw new AuthClientError('invalid_token', `The access token is not a ${kind} token.`);
      return claims;
    },
  };
}

/**
 * The JOSE header of a compact JWS, or undefined when the token is not three base64url parts with
 * a JSON object first. Only the header: the key is chosen from it, and jwt.verify decodes the
 * rest (decoding all of it twice was a twentieth of a verification, `npm run bench` row 21).
 */
function decodeHeader(token: string): { alg?: unknown; typ?: unknown; kid?: unknown } | undefined {
  const dot = token.indexOf('.');
  if (dot <= 0 || token.split('.', 4).length !== 3) return undefined;
  try {
    const header: unknown = JSON.parse(Buffer.from(token.slice(0, dot), 'base64url').toString('utf8'));
    return header !== null && typeof header === 'object' && !Array.isArray(header) ? header : undefined;
  } catch {
    return undefined;
  }
}

const hasNone = (p: Payload, ...names: string[]) => names.every((n) => p[n] === undefined);

/**
 * Verifies users' access tokens (the default kind). It does not know about logout: a revoked
 * session's token stays valid here until it expires (15 minutes by default).
 */
export function createVerifier(options: VerifierOptions): Verifier<AccessTokenClaims> {
  return baseVerifier('user', options.audience, options, (p) =>
    isString(p.sid) &&
    (ROLES.includes(p.role as (typeof ROLES)[number]) || (options.allowGuests === true && p.role === 'guest' && p.is_anonymous === true)) &&
    hasNone(p, 'client_id', 'installation_id', 'act', 'scope')
      ? ({ ...p, kind: 'user' } as AccessTokenClaims)
      : undefined,
  );
}

/** Verifies service tokens (client credentials). Guard routes with requireScope(). */
export function createServiceVerifier(options: ServiceVerifierOptions): Verifier<ServiceTokenClaims> {
  return baseVerifier('service', options.audience, options, (p) =>
    isString(p.client_id) && p.sub === p.client_id && typeof p.scope === 'string' && hasNone(p, 'sid', 'role', 'installation_id', 'act')
      ? ({ ...p, kind: 'service', scopes: p.scope.split(' ').filter(Boolean) } as ServiceTokenClaims)
      : undefined,
  );
}

/** Verifies installation tokens for one cat. Guard routes with requireInstallation(). */
export function createInstallationVerifier(options: InstallationVerifierOptions): Verifier<InstallationTokenClaims> {
  const act = (p: Payload) => p.act as { sub?: unknown } | undefined;
  return baseVerifier('installation', `cat:${options.catId}`, options, (p) =>
    isString(p.installation_id) &&
    p.cat_id === options.catId &&
    Array.isArray(p.perms) &&
    p.perms.every((x) => typeof x === 'string') &&
    typeof p.act === 'object' &&
    p.act !== null &&
    isString(act(p)?.sub) &&
    hasNone(p, 'sid', 'role', 'scope')
      ? ({ ...p, kind: 'installation' } as InstallationTokenClaims)
      : undefined,
  );
}
