import type { DataSource, EntityManager } from 'typeorm';
import type { UserRole } from '../../db/entities/index';
import { AppError } from '../../errors/app-error';
import {
  childRefreshToken,
  hashRefreshToken,
  looksLikeLegacyRefreshToken,
  parseRefreshToken,
  type ParsedRefreshToken,
} from './refresh-tokens';
import { revokeSessionWith } from './revocation';
import { currentChildOf, lockSession, type ReuseRecorder, type RotationOutcome } from './session-lock';
import { sessionAuthentication, type RotatedRefreshToken, type SessionSettings } from './sessions';
import { rotateStoredToken } from './stored-token-rotation';
import { sql } from '../sql';
import type { TokenSecrets } from '../tokens/token-secret';

function invalidGrant(detail = 'The refresh token is invalid, expired or revoked.'): AppError {
  return new AppError('invalid_grant', detail);
}

/**
 * The rotation itself: the session row moves from generation `generation` (whose token hashes to
 * `presentedHash`) to the next, remembering only the child's hash and when it rotated, and slides
 * its expiry. One UPDATE of one row found by primary key; none of the columns it sets is indexed,
 * so PostgreSQL writes it as a heap-only (HOT) update: no index entry, no foreign-key check, and a
 * WAL record the size of the changed bytes. Its WHERE is the whole judgement of the common case,
 * and under concurrency it is the arbiter: a second rotation of the same token waits for the first
 * one's row lock, re-checks the row it waited for (READ COMMITTED), finds the generation moved and
 * updates nothing. Returns undefined, having changed nothing, in every other case.
 */
async function rotateCurrentToken(
  executor: DataSource | EntityManager,
  token: ParsedRefreshToken,
  presentedHash: Buffer,
  child: string,
  settings: SessionSettings,
): Promise<RotatedRefreshToken | undefined> {
  // auth.rotate_refresh_token (migration 1795596424068) is this UPDATE, kept in PL/pgSQL so that
  // each server connection plans it once instead of on every call:
  //   UPDATE auth.sessions s SET refresh_generation = s.refresh_generation + 1, refresh_token_hash = <child>,
  //          refresh_rotated_at = now, last_used_at = now, expires_at = LEAST(now + ttl, s.created_at + max lifetime)
  //     FROM auth.users u
  //    WHERE s.id = <session> AND s.refresh_generation = <generation> AND s.refresh_token_hash = <presented>
  //      AND s.revoked_at IS NULL AND s.expires_at > now AND s.created_at > now - max lifetime
  //      AND u.id = s.user_id AND u.is_active
  //   RETURNING s.user_id, u.role, u.email_verified_at IS NOT NULL, s.amr, COALESCE(s.auth_time, s.created_at)
  // It works through a transaction pooler: no named statement, nothing kept on the session.
  const { rows } = await sql<{ user_id: string | null; role: UserRole | null; email_verified: boolean | null; amr: string[] | null; auth_time: Date | null }>(
    executor,
    `SELECT user_id, role, email_verified, amr, auth_time FROM auth.rotate_refresh_token($1, $2, $3, $4, $5, $6)`,
    [token.sessionId, token.generation, presentedHash, hashRefreshToken(child), settings.refreshTokenTtlSeconds, settings.maxLifetimeSeconds],
  );
  const row = rows[0];
  return row?.user_id
    ? {
        sessionId: token.sessionId,
        userId: row.user_id,
        role: row.role!,
        emailVerified: row.email_verified === true,
        authentication: sessionAuthentication(row.amr ?? ['pwd'], row.auth_time!),
        refreshToken: child,
      }
    : undefined;
}

/**
 * Exchanges a refresh token for its child: the token-refresh grant (RFC 6749 §6).
 *
 * - The session's current token: the session moves to the next generation (the rotation).
 * - The session's previous token presented again within the reuse interval gets the same
 *   current child back (idempotent refresh for tabs that refresh at once), as long as that child
 *   is still the session's current token.
 * - Any other token the server issued for the session (an older generation, or the previous one
 *   past the interval) is reuse: the session is revoked, and the revocation is committed before
 *   the caller hears invalid_grant.
 * - A token of the previous format is accepted until it is rotated (rotateStoredToken).
 */
export async function rotateRefreshToken(
  dataSource: DataSource,
  secrets: TokenSecrets,
  presented: string,
  settings: SessionSettings,
  onReuse?: (reuse: { sessionId: string; userId: string }) => void,
  /** Runs in the transaction that revokes the session on reuse (the audit event), so both commit together. */
  recordReuse?: ReuseRecorder,
): Promise<RotatedRefreshToken> {
  const token = parseRefreshToken(secrets, presented);
  let outcome: RotationOutcome;
  if (token) {
    const presentedHash = hashRefreshToken(presented);
    const child = childRefreshToken(secrets.current, token.sessionId, token.generation, presented);
    const rotated = await rotateCurrentToken(dataSource, token, presentedHash, child, settings);
    if (rotated) return rotated;
    // Not the common case (a repeat, reuse, an ended session, or a lost race): decide it under
    // the session's row lock, which a concurrent rotation holds until it commits.
    outcome = await dataSource.transaction((manager) => decide(manager, secrets, token, presented, presentedHash, child, settings, recordReuse));
  } else if (looksLikeLegacyRefreshToken(presented)) {
    outcome = await dataSource.transaction((manager) => rotateStoredToken(manager, secrets, presented, 0, settings, recordReuse));
  } else {
    throw invalidGrant();
  }

  if (outcome.kind === 'rotated') return outcome.token;
  if (outcome.kind === 'reused') {
    onReuse?.({ sessionId: outcome.sessionId, userId: outcome.userId });
    throw invalidGrant('The refresh token was already used; the session has been ended for safety. Log in again.');
  }
  throw invalidGrant();
}


/** Everything but the common rotation, decided with the session's row locked. */
async function decide(
  manager: EntityManager,
  secrets: TokenSecrets,
  token: ParsedRefreshToken,
  presented: string,
  presentedHash: Buffer,
  child: string,
  settings: SessionSettings,
  recordReuse?: ReuseRecorder,
): Promise<RotationOutcome> {
  const session = await lockSession(manager, token.sessionId, settings);
  if (!session || session.revoked || session.expired || !session.is_active) return { kind: 'invalid' };
  // A session whose token is kept in refresh_tokens (the migration's `down` put it there): the
  // stored-token rules apply, by the token's hash, as for a token of the previous format.
  if (session.current_hash === null) return rotateStoredToken(manager, secrets, presented, token.generation, settings, recordReuse);
  const base = {
    sessionId: token.sessionId,
    userId: session.user_id,
    role: session.role,
    emailVerified: session.email_verified,
    authentication: sessionAuthentication(session.amr, session.auth_time),
  };

  if (token.generation === session.generation) {
    // The current generation: rotate it now (the statement above found the row changed under it
    // and then changed back, or never matched: then the hash does not either, and it is refused).
    if (!session.current_hash?.equals(presentedHash)) return { kind: 'invalid' };
    const rotated = await rotateCurrentToken(manager, token, presentedHash, child, settings);
    return rotated ? { kind: 'rotated', token: rotated } : { kind: 'invalid' };
  }
  if (token.generation > session.generation) return { kind: 'invalid' };

  if (token.generation === session.generation - 1 && session.rotated_in_interval) {
    const current = currentChildOf(secrets, session, (secret) => childRefreshToken(secret, token.sessionId, token.generation, presented));
    if (current) return { kind: 'rotated', token: { ...base, refreshToken: current } };
  }
  // A token the server issued for this session (its tag says so) that is no longer current.
  await revokeSessionWith(manager, token.sessionId, 'refresh_token_reused');
  await recordReuse?.(manager, { sessionId: token.sessionId, userId: session.user_id });
  return { kind: 'reused', sessionId: token.sessionId, userId: session.user_id };
}
