// Over 250 lines on purpose: the claim types of the token kinds and their verifiers, which share one verification;
// the signature and the registered claims are checked in compact-jws.ts and registered-claims.ts.
import { splitCompactJws, verifyEs256 } from './compact-jws';
import { AuthClientError } from './errors';
import { createJwksClient, type JwksClient, type JwksOptions } from './jwks';
import { registeredClaimsFailure } from './registered-claims';
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
/** A refused token; the reason goes in `cause` for whoever debugs, never in the answer. */
const invalid = (reason: string) => new AuthClientError('invalid_token', 'The access token is invalid.', { cause: new Error(reason) });
const isString = (v: unknown): v is string => typeof v === 'string' && v.length > 0;

/**
 * The checks every kind shares: ES256 only (so `none` and HMAC with the public key are refused),
 * `typ: at+jwt` from the complete header, `iss`, the exact `aud`, `exp` and `nbf`, and a key chosen by
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
  const rules = { issuer: options.issuer, audience, clockToleranceSeconds: options.clockToleranceSeconds ?? 0 };
  return {
    kind,
    audience,
    jwks,
    async verify(token) {
      const jws = splitCompactJws(token);
      if (!jws) throw new AuthClientError('invalid_token', 'The access token is not a JWT.');
      const { header } = jws;
      if (header.alg !== 'ES256') throw new AuthClientError('invalid_token', 'The access token must be signed with ES256.');
      if (header.typ !== 'at+jwt') throw new AuthClientError('invalid_token', 'The token is not an access token (typ must be at+jwt).');
      const kid = header.kid;
      if (typeof kid !== 'string') throw new AuthClientError('invalid_token', 'The access token has no kid.');
      const key = await jwks.getKey(kid);
      // node's crypto.verify on the JOSE signature as sent: jsonwebtoken's verify() (used here
      // before) re-encoded it as DER for a createVerify stream and decoded the token again; the
      // client took 0.80 of crypto.verify's rate with it, 0.93 without (docs/benchmarks.md).
      const verified = verifyEs256(jws, key);
      if ('reason' in verified) throw invalid(verified.reason);
      const payload = verified.payload;
      const failure = registeredClaimsFailure(payload, rules, Math.floor(Date.now() / 1000));
      if (failure === 'expired') throw new AuthClientError('invalid_token', 'The access token has expired.', { cause: new Error(failure) });
      if (failure) throw invalid(failure);
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
 * The payload, whose claims claimsOf() has just checked, typed as its kind and completed with what
 * the kind adds. In place: it was parsed for this verify() call alone, and copying it cost a
 * measurable share of a verification (`npm run bench -- --only=verify`).
 */
const completed = <C extends VerifiedToken>(p: Payload, extra: Partial<C>): C => Object.assign(p, extra) as unknown as C;

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
    if (isString(p.sid) && hasNone(p, 'scope', 'pat_id')) return completed<AccessTokenClaims>(p, { kind: 'user' });
    if (options.personalAccessTokens && isString(p.pat_id) && isString(p.scope) && hasNone(p, 'sid')) {
      return completed<PersonalAccessTokenClaims>(p, { kind: 'user', scopes: p.scope.split(' ').filter(Boolean) });
    }
    return undefined;
  });
}

/** Verifies service tokens (client credentials). Guard routes with requireScope(). */
export function createServiceVerifier(options: ServiceVerifierOptions): Verifier<ServiceTokenClaims> {
  return baseVerifier('service', options.audience, options, (p) =>
    isString(p.client_id) && p.sub === p.client_id && typeof p.scope === 'string' && hasNone(p, 'sid', 'role', 'installation_id', 'act')
      ? completed<ServiceTokenClaims>(p, { kind: 'service', scopes: p.scope.split(' ').filter(Boolean) })
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
      ? completed<InstallationTokenClaims>(p, { kind: 'installation' })
      : undefined,
  );
}
