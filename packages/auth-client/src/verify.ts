import jwt from 'jsonwebtoken';
import { AuthClientError } from './errors';
import { createJwksClient, type JwksClient, type JwksOptions } from './jwks';
import type { RevocationList } from './revocation/deny-list';

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
  /** Only tokens made from personal access tokens have one (PersonalAccessTokenClaims). */
  pat_id?: undefined;
  role: Role;
  /** Only in a guest player's token (issue 25), and then true. */
  is_anonymous?: true;
  /** Whether the user's email was verified when the token was signed. */
  email_verified?: boolean;
  /**
   * RFC 8176 methods of the session's sign-in and step-ups (issue 26): `pwd`, `otp` (authenticator
   * app or recovery code), `hwk` / `swk` (device-bound / synced passkey), `fed` (Apple, Google), and
   * `mfa` when two kinds were used. Absent in tokens signed before issue 26. Require with requireAuthentication().
   */
  amr?: string[];
  /** The authentication context class: `urn:cathouse:acr:password` or `urn:cathouse:acr:mfa`. */
  acr?: string;
  /** When the user last authenticated in this session (sign-in or step-up), seconds since the epoch (OIDC Core §2). */
  auth_time?: number;
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

/**
 * A user's token made from a personal access token (the auth service's token exchange, issue 28):
 * the same audience and `role` as a session's token, but no session: `pat_id` names the PAT and
 * `scopes` (the `scope` claim, split) bounds what it may do. Accepted only by a verifier created
 * with `personalAccessTokens: true`; guard such routes with requireUserScope().
 */
export interface PersonalAccessTokenClaims {
  kind: 'user';
  iss: string;
  aud: string;
  /** The user id. */
  sub: string;
  /** No session: a PAT-derived token. */
  sid?: undefined;
  pat_id: string;
  role: Role;
  email_verified?: boolean;
  /** The `scope` claim, space-separated. */
  scope: string;
  scopes: string[];
  /** No sign-in behind it, so none of a session's authentication claims: requireAuthentication() refuses these tokens. */
  amr?: undefined;
  acr?: undefined;
  auth_time?: undefined;
  iat: number;
  exp: number;
  jti: string;
}

export type UserTokenClaims = AccessTokenClaims | PersonalAccessTokenClaims;

export type VerifiedToken = AccessTokenClaims | PersonalAccessTokenClaims | ServiceTokenClaims | InstallationTokenClaims;

interface CommonOptions extends JwksOptions {
  /** Expected `iss` (the auth service's JWT_ISSUER). */
  issuer: string;
  /** Leeway for clock skew on exp/iat, in seconds. Default 0. */
  clockToleranceSeconds?: number;
  /** A JWKS client to share between verifiers of several kinds (one cache, one fetch). */
  jwks?: JwksClient;
  /**
   * The deny-list fed by the auth service's Shared Signals stream (setPushHandler or
   * startSetPoller): a token of a revoked session, or of a user or client revoked after it was
   * issued, is refused before it expires.
   */
  revocations?: RevocationList;
}

export interface VerifierOptions extends CommonOptions {
  /** Expected `aud` (the auth service's JWT_AUDIENCE). */
  audience: string;
  /**
   * Accept guest players' tokens (role `guest`, `is_anonymous: true`, issue 25). Default false: a
   * service that has not decided what a guest may do refuses them as invalid_token.
   */
  allowGuests?: boolean;
  /**
   * Also accept tokens made from personal access tokens (no `sid`; `pat_id` and `scope`). Off by
   * default, so a service that has not thought about scopes never sees one; with it on, guard every
   * route such a token may reach with requireUserScope() (requireRole() alone refuses them).
   */
  personalAccessTokens?: boolean;
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
      if (options.revocations?.isRevoked({ sub: claims.sub, sid: claims.kind === 'user' ? claims.sid : undefined, iat: claims.iat })) {
        throw new AuthClientError('invalid_token', 'The access token has been revoked.');
      }
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
 * Verifies users' access tokens (the default kind). On its own it does not know about logout: a
 * revoked session's token stays valid until it expires (15 minutes by default); with `revocations`
 * fed by the Shared Signals stream it is refused as soon as the revocation arrives.
 */
export function createVerifier(options: VerifierOptions & { personalAccessTokens: true }): Verifier<UserTokenClaims>;
export function createVerifier(options: VerifierOptions): Verifier<AccessTokenClaims>;
export function createVerifier(options: VerifierOptions): Verifier<UserTokenClaims> {
  return baseVerifier<UserTokenClaims>('user', options.audience, options, (p) => {
    const guest = options.allowGuests === true && p.role === 'guest' && p.is_anonymous === true;
    if (!(ROLES.includes(p.role as (typeof ROLES)[number]) || guest) || !hasNone(p, 'client_id', 'installation_id', 'act')) return undefined;
    if (isString(p.sid) && hasNone(p, 'scope', 'pat_id')) return { ...p, kind: 'user' } as AccessTokenClaims;
    if (options.personalAccessTokens && isString(p.pat_id) && isString(p.scope) && hasNone(p, 'sid')) {
      return { ...p, kind: 'user', scopes: p.scope.split(' ').filter(Boolean) } as PersonalAccessTokenClaims;
    }
    return undefined;
  });
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
