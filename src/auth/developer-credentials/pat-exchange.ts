import type { DataSource } from 'typeorm';
import type { UserRole } from '../../db/entities/index';
import { AppError } from '../../errors/app-error';
import { recordEvent, type AuditClient } from '../audit/audit-events';
import { sql } from '../sql';
import { signTokenWithClaims } from '../tokens/access-tokens';
import type { SigningKeys } from '../tokens/signing-keys';
import { ACCESS_TOKEN_TYPE_URN } from '../tokens/token-exchange';
import { hashPat, isWellFormedPat } from './pat-format';
import { parseScopes, scopesForRole, type PatScope } from './scopes';

/**
 * A personal access token exchanged for a short-lived access token (RFC 8693 token exchange at
 * /token, subject_token_type PAT_TOKEN_TYPE; no client authentication: the PAT is the credential).
 *
 * The access token is a user's token for JWT_AUDIENCE like any other, told apart by its claims:
 * `scope` (the PAT's scopes, space-separated) and `pat_id` instead of a session's `sid`. Other
 * services verify it offline with @cathouse/auth-client (createVerifier with personalAccessTokens)
 * and enforce its scopes with requireUserScope. Revocation promise: every exchange reads the PAT
 * and its user afresh, so a revoked or expired PAT, or a deactivated user, gets nothing at the next
 * exchange; a token already issued lives at most PAT_ACCESS_TOKEN_TTL_SECONDS.
 */
export const PAT_TOKEN_TYPE = 'urn:cathouse:params:oauth:token-type:personal_access_token';

export interface PatExchangeDeps {
  dataSource: DataSource;
  keys: SigningKeys;
  settings: { issuer: string; audience: string; ttlSeconds: number };
}

export interface PatAccessToken {
  accessToken: string;
  expiresIn: number;
  scope: string;
  issuedTokenType: typeof ACCESS_TOKEN_TYPE_URN;
}

/** RFC 8693 §2.2.2: a subject token that is not acceptable is invalid_request. */
const refused = (detail: string) => new AppError('invalid_request', `subject_token: ${detail}`);

/**
 * Exchanges `token` for an access token with `requestedScope` (a subset of the PAT's scopes that its
 * user's role still holds; all of them when absent). Throws invalid_request for a token that is
 * malformed (checked before any query), unknown, expired, revoked or whose user is deactivated, and
 * invalid_scope for scopes beyond it. Records pat_used, or pat_refused for a known token refused.
 */
export async function exchangePat(deps: PatExchangeDeps, token: string, requestedScope: string | undefined, client: AuditClient): Promise<PatAccessToken> {
  if (!isWellFormedPat(token)) throw refused('not a personal access token (wrong prefix, length or checksum).');
  const hash = hashPat(token);
  const { rows } = await sql<{ id: string; user_id: string; scopes: string[]; expires_at: Date; role: UserRole; email_verified: boolean }>(
    deps.dataSource,
    `UPDATE auth.personal_access_tokens p SET last_used_at = statement_timestamp(), last_used_ip = $2
       FROM auth.users u
      WHERE p.token_hash = $1 AND u.id = p.user_id AND p.revoked_at IS NULL AND p.expires_at > statement_timestamp() AND u.is_active
      RETURNING p.id, p.user_id, p.scopes, p.expires_at, u.role, u.email_verified_at IS NOT NULL AS email_verified`,
    [hash, inet(client.ip)],
  );
  const pat = rows[0];
  if (!pat) {
    await recordRefusal(deps.dataSource, hash, client);
    throw refused('unknown, expired or revoked.');
  }
  // The role may have changed since the token was made: it keeps only the scopes the role still holds.
  const held = scopesForRole(pat.role).filter((s) => pat.scopes.includes(s));
  let granted: PatScope[] = held;
  if (requestedScope !== undefined && requestedScope.trim() !== '') {
    granted = parseScopes(requestedScope);
    const beyond = granted.filter((s) => !held.includes(s));
    if (beyond.length) throw new AppError('invalid_scope', `This token does not hold ${beyond.join(', ')}; it holds ${held.join(', ') || 'nothing now'}.`);
  }
  if (granted.length === 0) throw new AppError('invalid_scope', 'This token holds no scope its user may still use.');

  const now = Math.floor(Date.now() / 1000);
  const expiresAt = Math.min(now + deps.settings.ttlSeconds, Math.floor(pat.expires_at.getTime() / 1000));
  const scope = granted.join(' ');
  const accessToken = signTokenWithClaims(
    deps.keys,
    { issuer: deps.settings.issuer, audience: deps.settings.audience, subject: pat.user_id, expiresAt },
    { role: pat.role, email_verified: pat.email_verified, scope, pat_id: pat.id },
  );
  await recordEvent(deps.dataSource, { type: 'pat_used', userId: pat.user_id, client, detail: { pat_id: pat.id, scope } });
  return { accessToken, expiresIn: Math.max(0, expiresAt - now), scope, issuedTokenType: ACCESS_TOKEN_TYPE_URN };
}

/** A refused token that exists is worth an event in its owner's history (a revoked token still in use is a leak to chase). */
async function recordRefusal(dataSource: DataSource, hash: Buffer, client: AuditClient): Promise<void> {
  const { rows } = await sql<{ id: string; user_id: string; reason: string }>(
    dataSource,
    `SELECT p.id, p.user_id,
            CASE WHEN p.revoked_at IS NOT NULL THEN 'revoked' WHEN p.expires_at <= statement_timestamp() THEN 'expired' ELSE 'user_inactive' END AS reason
       FROM auth.personal_access_tokens p WHERE p.token_hash = $1`,
    [hash],
  );
  const known = rows[0];
  if (known) await recordEvent(dataSource, { type: 'pat_refused', userId: known.user_id, client, detail: { pat_id: known.id, reason: known.reason } });
}

function inet(ip: string | undefined): string | null {
  return ip && /^[0-9a-fA-F:.]+$/.test(ip) ? ip : null;
}
