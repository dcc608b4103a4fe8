import jwt from 'jsonwebtoken';
import { AuthClientError } from '../errors';
import { createJwksClient, type JwksClient, type JwksOptions } from '../jwks';
import type { RevocationList } from './deny-list';

/** The Security Event Tokens (RFC 8417) of the auth service's Shared Signals transmitter: verified, then applied to a deny-list. */

const CAEP = 'https://schemas.openid.net/secevent/caep/event-type/';
const RISC = 'https://schemas.openid.net/secevent/risc/event-type/';
export const VERIFICATION_EVENT = 'https://schemas.openid.net/secevent/ssf/event-type/verification';

export interface SetVerifierOptions extends Partial<JwksOptions> {
  /** The transmitter's issuer (the auth service's SSF_ISSUER, e.g. https://auth.cathouse.example). */
  issuer: string;
  /** This receiver's audience: its service client id (the stream's `aud`). */
  audience: string;
  /** The issuer of access tokens (JWT_ISSUER, default cathouse-auth): subjects name users and clients by it. */
  tokenIssuer: string;
  /** Share the access-token verifiers' JWKS client (one cache), or give jwksUri. */
  jwks?: JwksClient;
}

export interface SecurityEventToken {
  iss: string;
  jti: string;
  iat: number;
  aud: string | string[];
  txn?: string;
  sub_id: Record<string, unknown>;
  events: Record<string, Record<string, unknown>>;
}

export interface SetVerifier {
  /** The claims of a valid SET for this receiver; rejects with a SetError (RFC 8935 §2.4 code) otherwise. */
  verify(set: string): Promise<SecurityEventToken>;
  readonly tokenIssuer: string;
}

/** RFC 8935 §2.4 / RFC 8936 §2.4.4 error codes a receiver answers with. */
export type SetErrorCode = 'invalid_request' | 'invalid_key' | 'invalid_issuer' | 'invalid_audience' | 'authentication_failed' | 'access_denied';

export class SetError extends Error {
  constructor(
    readonly err: SetErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'SetError';
  }
}

/**
 * Verifies SETs as SSF 1.0 profiles them: ES256 by a key of the auth service's JWKS (never the
 * token's own alg), `typ: secevent+jwt` (RFC 8417 §2.3: not an access token or ID token), the
 * transmitter's `iss`, this receiver's `aud`, no `sub` and no `exp` (SSF 1.0 §4.1.3, §4.1.6), one event.
 */
export function createSetVerifier(options: SetVerifierOptions): SetVerifier {
  if (!options.jwks && !options.jwksUri) throw new TypeError('createSetVerifier needs jwks or jwksUri');
  const jwks = options.jwks ?? createJwksClient(options as JwksOptions);
  return {
    tokenIssuer: options.tokenIssuer,
    async verify(set) {
      const decoded = jwt.decode(set, { complete: true });
      if (!decoded || typeof decoded.payload === 'string') throw new SetError('invalid_request', 'The body is not a JWT.');
      if (decoded.header.typ !== 'secevent+jwt') throw new SetError('invalid_request', 'typ must be secevent+jwt.');
      if (decoded.header.alg !== 'ES256' || typeof decoded.header.kid !== 'string') throw new SetError('invalid_key', 'A SET must be ES256 with a kid.');
      let key;
      try {
        key = await jwks.getKey(decoded.header.kid);
      } catch (err) {
        if (err instanceof AuthClientError && err.code === 'auth_unavailable') throw err;
        throw new SetError('invalid_key', 'The SET was signed by an unknown key.');
      }
      let claims: jwt.JwtPayload;
      try {
        // exp is refused below with its own reason (SSF forbids it); here it would read as a bad signature.
        claims = jwt.verify(set, key, { algorithms: ['ES256'], ignoreExpiration: true }) as jwt.JwtPayload;
      } catch {
        throw new SetError('invalid_key', 'The SET signature does not verify.');
      }
      if (claims.iss !== options.issuer) throw new SetError('invalid_issuer', `iss must be ${options.issuer}.`);
      const aud = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
      if (!aud.includes(options.audience)) throw new SetError('invalid_audience', `aud must name ${options.audience}.`);
      if (claims.sub !== undefined || claims.exp !== undefined) throw new SetError('invalid_request', 'A SET carries neither sub nor exp (SSF 1.0).');
      const events = claims.events as Record<string, Record<string, unknown>> | undefined;
      if (typeof claims.jti !== 'string' || typeof claims.iat !== 'number' || !events || typeof events !== 'object' || Object.keys(events).length !== 1) {
        throw new SetError('invalid_request', 'A SET needs jti, iat and exactly one event.');
      }
      if (!claims.sub_id || typeof claims.sub_id !== 'object') throw new SetError('invalid_request', 'A SET needs sub_id.');
      return claims as SecurityEventToken;
    },
  };
}

function subjectOf(id: unknown, tokenIssuer: string): string | undefined {
  const s = id as { format?: string; iss?: string; sub?: string } | undefined;
  return s?.format === 'iss_sub' && s.iss === tokenIssuer && typeof s.sub === 'string' ? s.sub : undefined;
}

/**
 * Applies one verified SET to the deny-list; returns what it did (for logs and tests):
 * - session-revoked naming a session: that session's tokens are refused;
 * - session-revoked naming only the user, account-disabled, account-purged, token-claims-change:
 *   the user's tokens issued until then are refused (a new sign-in gets tokens that pass);
 * - credential-change revoking a service client's secret: that client's tokens issued until then.
 * Other events (a password change, a verification) change nothing here: the sessions a password
 * change ends come as session-revoked events of their own.
 */
export function applySecurityEvent(list: RevocationList, set: SecurityEventToken, tokenIssuer: string): 'session' | 'subject' | 'none' {
  const [uri, event] = Object.entries(set.events)[0]!;
  const at = typeof event.event_timestamp === 'number' ? event.event_timestamp : set.iat;
  const subId = set.sub_id as { format?: string; user?: unknown; session?: { format?: string; id?: unknown } };
  const complex = subId.format === 'complex';
  const user = complex ? subjectOf(subId.user, tokenIssuer) : subjectOf(subId, tokenIssuer);
  switch (uri) {
    case `${CAEP}session-revoked`:
      if (complex && subId.session?.format === 'opaque' && typeof subId.session.id === 'string') {
        list.revokeSession(subId.session.id, at);
        return 'session';
      }
      if (!user) return 'none';
      list.revokeSubject(user, at);
      return 'subject';
    case `${CAEP}token-claims-change`:
    case `${RISC}account-disabled`:
    case `${RISC}account-purged`:
      if (!user) return 'none';
      list.revokeSubject(user, at);
      return 'subject';
    case `${CAEP}credential-change`:
      if (event.credential_type === 'client-secret' && event.change_type === 'revoke' && user) {
        list.revokeSubject(user, at);
        return 'subject';
      }
      return 'none';
    default:
      return 'none';
  }
}
