import jwt from 'jsonwebtoken';
import { AuthClientError } from './errors';
import { createJwksClient, type JwksClient, type JwksOptions } from './jwks';

export const ROLES = ['player', 'developer', 'admin'] as const;
export type Role = (typeof ROLES)[number];

/** The claims of a Cat House access token (DESIGN.md §5). */
export interface AccessTokenClaims {
  iss: string;
  aud: string | string[];
  /** The user id. */
  sub: string;
  /** The session id. */
  sid: string;
  role: Role;
  iat: number;
  exp: number;
  jti: string;
}

export interface VerifierOptions extends JwksOptions {
  /** Expected `iss` (the auth service's JWT_ISSUER). */
  issuer: string;
  /** Expected `aud` (the auth service's JWT_AUDIENCE). */
  audience: string;
  /** Leeway for clock skew on exp/iat, in seconds. Default 0. */
  clockToleranceSeconds?: number;
}

export interface Verifier {
  /** Resolves to the claims of a valid access token; rejects with AuthClientError otherwise. */
  verify(token: string): Promise<AccessTokenClaims>;
  readonly jwks: JwksClient;
}

/**
 * Verifies access tokens as the auth service issues them: ES256 only (so `none` and HMAC with the
 * public key are refused), `typ: at+jwt` from the complete header, `iss`, `aud` and `exp`, and a
 * key chosen by `kid` from the JWKS. It does not know about logout: a revoked session's token
 * stays valid here until it expires (15 minutes by default).
 */
export function createVerifier(options: VerifierOptions): Verifier {
  const jwks = createJwksClient(options);
  return {
    jwks,
    async verify(token) {
      const decoded = jwt.decode(token, { complete: true });
      if (!decoded || typeof decoded.payload === 'string') throw new AuthClientError('invalid_token', 'The access token is not a JWT.');
      if (decoded.header.alg !== 'ES256') throw new AuthClientError('invalid_token', 'The access token must be signed with ES256.');
      if (decoded.header.typ !== 'at+jwt') throw new AuthClientError('invalid_token', 'The token is not an access token (typ must be at+jwt).');
      const kid = decoded.header.kid;
      if (typeof kid !== 'string') throw new AuthClientError('invalid_token', 'The access token has no kid.');
      const key = await jwks.getKey(kid);
      let payload: jwt.JwtPayload;
      try {
        payload = jwt.verify(token, key, {
          algorithms: ['ES256'],
          issuer: options.issuer,
          audience: options.audience,
          clockTolerance: options.clockToleranceSeconds ?? 0,
        }) as jwt.JwtPayload;
      } catch (err) {
        const expired = err instanceof jwt.TokenExpiredError;
        throw new AuthClientError('invalid_token', expired ? 'The access token has expired.' : 'The access token is invalid.', { cause: err });
      }
      const isString = (v: unknown): v is string => typeof v === 'string' && v.length > 0;
      if (!isString(payload.sub) || !isString(payload.sid) || !isString(payload.jti) || typeof payload.exp !== 'number' || !ROLES.includes(payload.role)) {
        throw new AuthClientError('invalid_token', 'The access token lacks required claims.');
      }
      return payload as AccessTokenClaims;
    },
  };
}
