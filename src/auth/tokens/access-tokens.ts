import { randomUUID, sign } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { AppError } from '../../errors/app-error';
import { USER_ROLES, type UserRole } from '../../db/entities/index';
import { SIGNING_ALGORITHM, type SigningKeys } from './signing-keys';

/** RFC 9068 §2.1: the media type that marks a JWT as an OAuth access token (and nothing else). */
export const ACCESS_TOKEN_TYPE = 'at+jwt';

export interface AccessTokenClaims {
  iss: string;
  aud: string;
  sub: string;
  sid: string;
  role: UserRole;
  /** Whether the user's email was verified when the token was signed (absent in tokens from before issue 10). */
  email_verified?: boolean;
  /** Issue 25: present, and true, only in a guest player's tokens (role guest); other tokens stay as they were. */
  is_anonymous?: true;
  /** RFC 8176 methods of the session's authentication (issue 26; absent in older tokens). */
  amr?: string[];
  /** The acr of that authentication (src/auth/oidc/authentication-context.ts). */
  acr?: string;
  /** When the user last authenticated in the session, sign-in or step-up (OIDC Core §2), seconds since the epoch. */
  auth_time?: number;
  iat: number;
  exp: number;
  jti: string;
}

export interface AccessTokenSettings {
  issuer: string;
  audience: string;
  ttlSeconds: number;
}

export interface AccessTokenSubject {
  userId: string;
  sessionId: string;
  role: UserRole;
  emailVerified: boolean;
  /** How and when the session was authenticated (issue 26); every session has them, older callers may not pass them. */
  authentication?: SessionAuthentication | undefined;
}

/** How and when a session's user authenticated: its RFC 8176 methods and the time (sign-in or step-up). */
export interface SessionAuthentication {
  amr: readonly string[];
  acr: string;
  authTime: Date;
}

/** The encoded JOSE header of a key's tokens: the same for every token, so encoded once per key. */
const encodedHeaders = new WeakMap<object, string>();

/**
 * Signs a short-lived ES256 access token for one session: the JWS compact serialization (RFC 7515
 * §7.1) with node:crypto directly, the signature as R || S (RFC 7518 §3.4). Every refresh signs
 * one, and jsonwebtoken's generic path (option validation, a DER-to-JOSE conversion in JavaScript)
 * cost about twice the signature itself; verification stays with jsonwebtoken (verifyAccessToken).
 * The claims are those jsonwebtoken wrote, in its order.
 */
export function signAccessToken(keys: SigningKeys, settings: AccessTokenSettings, subject: AccessTokenSubject): string {
  const key = keys.current;
  let header = encodedHeaders.get(key);
  if (!header) {
    header = Buffer.from(JSON.stringify({ alg: SIGNING_ALGORITHM, typ: ACCESS_TOKEN_TYPE, kid: key.kid })).toString('base64url');
    encodedHeaders.set(key, header);
  }
  const iat = Math.floor(Date.now() / 1000);
  const claims = {
    sid: subject.sessionId,
    role: subject.role,
    email_verified: subject.emailVerified,
    ...(subject.role === 'guest' ? { is_anonymous: true as const } : {}),
    ...(subject.authentication && {
      amr: [...subject.authentication.amr],
      acr: subject.authentication.acr,
      auth_time: Math.floor(subject.authentication.authTime.getTime() / 1000),
    }),
    iat,
    exp: iat + settings.ttlSeconds,
    aud: settings.audience,
    iss: settings.issuer,
    sub: subject.userId,
    jti: randomUUID(),
  } satisfies AccessTokenClaims;
  const signingInput = `${header}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`;
  const signature = sign('sha256', Buffer.from(signingInput), { key: key.privateKey, dsaEncoding: 'ieee-p1363' });
  return `${signingInput}.${signature.toString('base64url')}`;
}

/** What every access token carries besides its own claims (RFC 9068 §2.2). */
export interface SignedTokenBase {
  issuer: string;
  audience: string;
  subject: string;
  /** Absolute expiry, seconds since the epoch. */
  expiresAt: number;
}

/**
 * Signs an access token of another kind (service, installation) with the same key, algorithm and
 * `typ` as user tokens: kinds are told apart by `aud` (and their claims), never by a weaker check.
 */
export function signTokenWithClaims(keys: SigningKeys, base: SignedTokenBase, claims: Record<string, unknown>): string {
  const now = Math.floor(Date.now() / 1000);
  return jwt.sign({ ...claims, iat: now, exp: base.expiresAt }, keys.current.privateKey, {
    algorithm: SIGNING_ALGORITHM,
    keyid: keys.current.kid,
    header: { alg: SIGNING_ALGORITHM, typ: ACCESS_TOKEN_TYPE, kid: keys.current.kid },
    issuer: base.issuer,
    audience: base.audience,
    subject: base.subject,
    jwtid: randomUUID(),
  });
}

/** The RFC 6750 §3 challenge that tells a client its bearer token was not accepted. */
export function invalidToken(detail: string): AppError {
  return new AppError('invalid_token', detail, {
    headers: { 'www-authenticate': `Bearer error="invalid_token", error_description="${detail.replace(/"/g, "'")}"` },
  });
}

/**
 * Verifies signature and claims of an access token and returns its claims, or throws
 * invalid_token. The algorithm is pinned to ES256 (so `none` and HS256-with-the-public-key are
 * refused), the key is chosen by `kid` among our own keys only, and `typ` is read from the
 * complete header (RFC 8725 §3.11). It does not look at the session: see findLiveSession.
 */
export function verifyAccessToken(
  keys: SigningKeys,
  settings: Omit<AccessTokenSettings, 'ttlSeconds'>,
  token: string,
  { allowExpired = false } = {},
): AccessTokenClaims {
  const decoded = jwt.decode(token, { complete: true });
  if (!decoded || typeof decoded.payload === 'string') throw invalidToken('The access token is not a JWT.');
  const kid = decoded.header.kid;
  const key = typeof kid === 'string' ? keys.find(kid) : undefined;
  if (!key) throw invalidToken('The access token was not signed by a key of this service.');

  let verified: jwt.Jwt;
  try {
    verified = jwt.verify(token, key.publicKey, {
      algorithms: [SIGNING_ALGORITHM],
      issuer: settings.issuer,
      audience: settings.audience,
      complete: true,
      // Only logout of one session accepts an expired token: ending a session needs no freshness.
      ignoreExpiration: allowExpired,
    });
  } catch (err) {
    if (err instanceof jwt.TokenExpiredError) throw invalidToken('The access token has expired.');
    throw invalidToken('The access token is invalid.');
  }
  if (verified.header.alg !== SIGNING_ALGORITHM || verified.header.typ !== ACCESS_TOKEN_TYPE) {
    throw invalidToken('The token is not an access token.');
  }
  const claims = verified.payload as Partial<Record<keyof AccessTokenClaims, unknown>>;
  const isString = (v: unknown): v is string => typeof v === 'string' && v.length > 0;
  if (
    !isString(claims.sub) ||
    !isString(claims.sid) ||
    !isString(claims.jti) ||
    typeof claims.iat !== 'number' ||
    typeof claims.exp !== 'number' ||
    !USER_ROLES.includes(claims.role as UserRole)
  ) {
    throw invalidToken('The access token lacks required claims.');
  }
  return claims as AccessTokenClaims;
}
