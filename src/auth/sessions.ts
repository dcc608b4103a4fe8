import type { DataSource, EntityManager } from 'typeorm';
import type { UserRole } from '../db/entities/index';
import type { PublicUser } from './users';
import { AppError } from '../errors/app-error';
import {
  deriveChildRefreshToken,
  generateRefreshToken,
  hashRefreshToken,
  looksLikeRefreshToken,
} from './refresh-tokens';
import { sql } from './sql';

/**
 * Sessions and their refresh-token families (RFC 9700 §4.14.2).
 *
 * One session is one login; its refresh tokens form a chain where each token's child is derived
 * from it (refresh-tokens.ts). Every change to a family happens in one short transaction that
 * first locks the presented token's row and then the session's row (always in that order, so
 * two requests cannot deadlock), which makes PostgreSQL the judge of concurrent refreshes, also
 * across service instances. Nothing relies on session state, so all of it works through a
 * transaction-mode pooler.
 */

export interface SessionSettings {
  /** Lifetime of a refresh token; a session ends when it goes that long unused. */
  refreshTokenTtlSeconds: number;
  /** How long after a rotation the parent still gets the same child back. */
  reuseIntervalSeconds: number;
  /** Absolute lifetime: no refresh extends a session past created_at + this (L6, like Supabase's time-box). */
  maxLifetimeSeconds: number;
}

export interface ClientInfo {
  userAgent?: string | undefined;
  ip?: string | undefined;
}

export interface IssuedRefreshToken {
  sessionId: string;
  refreshToken: string;
}

export interface RotatedRefreshToken extends IssuedRefreshToken {
  userId: string;
  role: UserRole;
  /** For the access token's email_verified claim. */
  emailVerified: boolean;
}

export type SessionEndReason =
  | 'logout'
  | 'logout_global'
  | 'logout_others'
  | 'refresh_token_reused'
  | 'user_deactivated'
  | 'ended_by_user'
  | 'ended_by_admin'
  | 'password_changed'
  | 'password_reset'
  | 'account_deleted';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(value: string): boolean {
  return UUID.test(value);
}

function invalidGrant(detail = 'The refresh token is invalid, expired or revoked.'): AppError {
  return new AppError('invalid_grant', detail);
}

/** Starts a session (a login) and issues the first refresh token of its family. */
export async function startSession(
  manager: EntityManager,
  userId: string,
  client: ClientInfo,
  settings: SessionSettings,
): Promise<IssuedRefreshToken> {
  const { rows } = await sql<{ id: string }>(
    manager,
    `INSERT INTO auth.sessions (user_id, expires_at, user_agent, ip)
     VALUES ($1, statement_timestamp() + make_interval(secs => LEAST($2::int, $5::int)), $3, $4) RETURNING id`,
    [userId, settings.refreshTokenTtlSeconds, client.userAgent?.slice(0, 512) ?? null, normalizeIp(client.ip), settings.maxLifetimeSeconds],
  );
  const sessionId = rows[0]!.id;
  const refreshToken = generateRefreshToken();
  await sql(
    manager,
    `INSERT INTO auth.refresh_tokens (session_id, token_hash, expires_at)
     VALUES ($1, $2, statement_timestamp() + make_interval(secs => $3))`,
    [sessionId, hashRefreshToken(refreshToken), settings.refreshTokenTtlSeconds],
  );
  return { sessionId, refreshToken };
}

/** The presented token and its session, locked together (token row, then session row). */
interface LockedFamily {
  token_id: string;
  session_id: string;
  user_id: string;
  used: boolean;
  token_expired: boolean;
  in_reuse_interval: boolean;
  revoked: boolean;
  session_expired: boolean;
  role: UserRole;
  is_active: boolean;
  email_verified: boolean;
}

type RotationOutcome =
  | { kind: 'rotated'; token: RotatedRefreshToken }
  | { kind: 'reused'; sessionId: string; userId: string }
  | { kind: 'invalid' };

/**
 * The common case of a refresh in one statement (one round trip, its own implicit transaction):
 * an unused, unexpired token of a live session is locked with its session, marked used, its
 * child stored and the session extended. Returns undefined, having changed nothing, in every
 * other case. A request that waited for a concurrent rotation of the same token re-checks the
 * row it waited for (READ COMMITTED), finds it used, and so falls through to the transactional
 * path, which sees that rotation's child.
 */
async function rotateUnusedToken(
  dataSource: DataSource,
  presented: string,
  child: string,
  settings: SessionSettings,
): Promise<RotatedRefreshToken | undefined> {
  const { rows } = await sql<{ session_id: string; user_id: string; role: UserRole; email_verified: boolean }>(
    dataSource,
    `WITH family AS (
       SELECT rt.id, rt.session_id, s.user_id, u.role, u.email_verified_at IS NOT NULL AS email_verified
         FROM auth.refresh_tokens rt
         JOIN auth.sessions s ON s.id = rt.session_id
         JOIN auth.users u ON u.id = s.user_id
        WHERE rt.token_hash = $1 AND rt.used_at IS NULL AND rt.expires_at > statement_timestamp()
          AND s.revoked_at IS NULL AND s.expires_at > statement_timestamp() AND u.is_active
          AND s.created_at > statement_timestamp() - make_interval(secs => $4)
          FOR UPDATE OF rt, s
     ), used AS (
       UPDATE auth.refresh_tokens SET used_at = statement_timestamp() FROM family WHERE refresh_tokens.id = family.id
     ), born AS (
       INSERT INTO auth.refresh_tokens (session_id, token_hash, parent_id, expires_at)
       SELECT session_id, $2, id, statement_timestamp() + make_interval(secs => $3) FROM family
     ), extended AS (
       UPDATE auth.sessions SET last_used_at = statement_timestamp(),
              expires_at = LEAST(statement_timestamp() + make_interval(secs => $3), sessions.created_at + make_interval(secs => $4))
         FROM family WHERE sessions.id = family.session_id
     )
     SELECT session_id, user_id, role, email_verified FROM family`,
    [hashRefreshToken(presented), hashRefreshToken(child), settings.refreshTokenTtlSeconds, settings.maxLifetimeSeconds],
  );
  const row = rows[0];
  return row && { sessionId: row.session_id, userId: row.user_id, role: row.role, emailVerified: row.email_verified, refreshToken: child };
}

/**
 * Exchanges a refresh token for its child: the token-refresh grant (RFC 6749 §6).
 *
 * - An unused token is marked used and its derived child is stored: the rotation.
 * - The session's previous token presented again within the reuse interval gets the same
 *   current child back (idempotent refresh for tabs that refresh at once), as long as that
 *   child is still the session's unused current token.
 * - Anything else already used is reuse: the session is revoked, and the revocation is committed
 *   before the caller hears invalid_grant.
 */
export async function rotateRefreshToken(
  dataSource: DataSource,
  secret: Buffer,
  presented: string,
  settings: SessionSettings,
  onReuse?: (reuse: { sessionId: string; userId: string }) => void,
  /** Runs in the transaction that revokes the session on reuse (the audit event), so both commit together. */
  recordReuse?: (manager: EntityManager, reuse: { sessionId: string; userId: string }) => Promise<void>,
): Promise<RotatedRefreshToken> {
  if (!looksLikeRefreshToken(presented)) throw invalidGrant();
  const child = deriveChildRefreshToken(secret, presented);
  const rotated = await rotateUnusedToken(dataSource, presented, child, settings);
  if (rotated) return rotated;
  // Not the common case (unknown, expired, revoked, already used, or lost a race): decide it in a
  // transaction that can tell the reuse interval from reuse.
  const outcome = await dataSource.transaction(async (manager): Promise<RotationOutcome> => {
    // One statement reads and locks the token and its session: the hot path is BEGIN, this, one
    // write statement and COMMIT. A request that waited here for a concurrent rotation sees that
    // rotation's result (READ COMMITTED re-reads a row it waited for, and later statements take a
    // new snapshot), which is what lets the reuse-interval branch below find the child.
    const family = (
      await sql<LockedFamily>(
        manager,
        `SELECT rt.id AS token_id, rt.session_id, s.user_id,
                rt.used_at IS NOT NULL AS used, rt.expires_at <= statement_timestamp() AS token_expired,
                rt.used_at >= statement_timestamp() - make_interval(secs => $2) AS in_reuse_interval,
                s.revoked_at IS NOT NULL AS revoked,
                (s.expires_at <= statement_timestamp() OR s.created_at <= statement_timestamp() - make_interval(secs => $3)) AS session_expired,
                u.role, u.is_active, u.email_verified_at IS NOT NULL AS email_verified
           FROM auth.refresh_tokens rt
           JOIN auth.sessions s ON s.id = rt.session_id
           JOIN auth.users u ON u.id = s.user_id
          WHERE rt.token_hash = $1
            FOR UPDATE OF rt, s`,
        [hashRefreshToken(presented), settings.reuseIntervalSeconds, settings.maxLifetimeSeconds],
      )
    ).rows[0];
    if (!family || family.revoked || family.session_expired || !family.is_active || family.token_expired) {
      return { kind: 'invalid' };
    }
    const base = { sessionId: family.session_id, userId: family.user_id, role: family.role, emailVerified: family.email_verified, refreshToken: child };
    const token = { id: family.token_id, used: family.used, in_reuse_interval: family.in_reuse_interval };
    const session = { id: family.session_id, user_id: family.user_id };

    if (!token.used) {
      // The rotation as one statement: mark the parent used, store the child, extend the session.
      await sql(
        manager,
        `WITH used AS (
           UPDATE auth.refresh_tokens SET used_at = statement_timestamp() WHERE id = $1
         ), child AS (
           INSERT INTO auth.refresh_tokens (session_id, token_hash, parent_id, expires_at)
           VALUES ($2, $3, $1, statement_timestamp() + make_interval(secs => $4))
         )
         UPDATE auth.sessions SET last_used_at = statement_timestamp(),
                expires_at = LEAST(statement_timestamp() + make_interval(secs => $4), created_at + make_interval(secs => $5))
          WHERE id = $2`,
        [token.id, session.id, hashRefreshToken(child), settings.refreshTokenTtlSeconds, settings.maxLifetimeSeconds],
      );
      return { kind: 'rotated', token: base };
    }

    if (token.in_reuse_interval) {
      const current = await sql(
        manager,
        `SELECT 1 FROM auth.refresh_tokens
          WHERE token_hash = $1 AND parent_id = $2 AND used_at IS NULL AND expires_at > statement_timestamp()`,
        [hashRefreshToken(child), token.id],
      );
      if (current.count === 1) return { kind: 'rotated', token: base };
    }

    await revokeSessionWith(manager, session.id, 'refresh_token_reused');
    await recordReuse?.(manager, { sessionId: session.id, userId: session.user_id });
    return { kind: 'reused', sessionId: session.id, userId: session.user_id };
  });

  if (outcome.kind === 'rotated') return outcome.token;
  if (outcome.kind === 'reused') {
    onReuse?.({ sessionId: outcome.sessionId, userId: outcome.userId });
    throw invalidGrant('The refresh token was already used; the session has been ended for safety. Log in again.');
  }
  throw invalidGrant();
}

async function revokeSessionWith(manager: EntityManager | DataSource, sessionId: string, reason: SessionEndReason): Promise<boolean> {
  const { count } = await sql(
    manager,
    `UPDATE auth.sessions SET revoked_at = statement_timestamp(), revoked_reason = $2 WHERE id = $1 AND revoked_at IS NULL`,
    [sessionId, reason],
  );
  return count > 0;
}

/** Ends one session, in the caller's transaction when given one; true if it was live. Idempotent. */
export async function revokeSession(executor: DataSource | EntityManager, sessionId: string, reason: SessionEndReason): Promise<boolean> {
  if (!isUuid(sessionId)) return false;
  return revokeSessionWith(executor, sessionId, reason);
}

/**
 * Ends one session of `userId` (DELETE me/sessions/{id}); false if that user has no such live
 * session, so a user can never end, or learn of, another user's session.
 */
export async function revokeOwnSession(
  executor: DataSource | EntityManager,
  userId: string,
  sessionId: string,
  reason: SessionEndReason,
): Promise<boolean> {
  if (!isUuid(sessionId)) return false;
  const { count } = await sql(
    executor,
    `UPDATE auth.sessions SET revoked_at = statement_timestamp(), revoked_reason = $3
      WHERE id = $1 AND user_id = $2 AND revoked_at IS NULL AND expires_at > statement_timestamp()`,
    [sessionId, userId, reason],
  );
  return count > 0;
}

/** Ends every live session of a user but one (logout scope `others`); returns how many. */
export async function revokeOtherSessions(
  executor: DataSource | EntityManager,
  userId: string,
  keepSessionId: string,
  reason: SessionEndReason,
): Promise<number> {
  const { count } = await sql(
    executor,
    `UPDATE auth.sessions SET revoked_at = statement_timestamp(), revoked_reason = $3
      WHERE user_id = $1 AND id <> $2 AND revoked_at IS NULL AND expires_at > statement_timestamp()`,
    [userId, keepSessionId, reason],
  );
  return count;
}

/** Ends every live session of a user, in the caller's transaction when given one; returns how many. */
export async function revokeUserSessions(
  executor: DataSource | EntityManager,
  userId: string,
  reason: SessionEndReason,
): Promise<number> {
  const { count } = await sql(
    executor,
    `UPDATE auth.sessions SET revoked_at = statement_timestamp(), revoked_reason = $2 WHERE user_id = $1 AND revoked_at IS NULL`,
    [userId, reason],
  );
  return count;
}

/** The session and user a refresh token belongs to, whatever its state, for logout. */
export async function findRefreshTokenOwner(
  dataSource: DataSource,
  presented: string,
): Promise<{ sessionId: string; userId: string; sessionLive: boolean; current: boolean } | undefined> {
  if (!looksLikeRefreshToken(presented)) return undefined;
  const { rows } = await sql<{ session_id: string; user_id: string; session_live: boolean; current: boolean }>(
    dataSource,
    `SELECT rt.session_id, s.user_id, (s.revoked_at IS NULL AND s.expires_at > statement_timestamp()) AS session_live,
            (rt.used_at IS NULL AND rt.expires_at > statement_timestamp()) AS current
       FROM auth.refresh_tokens rt JOIN auth.sessions s ON s.id = rt.session_id WHERE rt.token_hash = $1`,
    [hashRefreshToken(presented)],
  );
  const row = rows[0];
  return row && { sessionId: row.session_id, userId: row.user_id, sessionLive: row.session_live, current: row.current };
}

export interface LiveSession {
  sessionId: string;
  userId: string;
  role: UserRole;
  /** The user as the API shows it, read in the same query (GET /me needs nothing more). */
  user: PublicUser;
}

/**
 * The session `sid` names, if it is still live and its user active and the same as `sub`. The
 * auth service checks this on its own endpoints, so a logout or a deactivation takes effect at
 * once there rather than when the access token expires. One round trip, user included.
 */
export async function findLiveSession(executor: DataSource | EntityManager, sessionId: string, userId: string): Promise<LiveSession | undefined> {
  if (!isUuid(sessionId) || !isUuid(userId)) return undefined;
  const { rows } = await sql<{ email: string; role: UserRole; display_name: string | null; created_at: Date; email_verified: boolean }>(
    executor,
    `SELECT u.email, u.role, u.display_name, u.created_at, u.email_verified_at IS NOT NULL AS email_verified FROM auth.sessions s JOIN auth.users u ON u.id = s.user_id
      WHERE s.id = $1 AND s.user_id = $2 AND s.revoked_at IS NULL AND s.expires_at > statement_timestamp() AND u.is_active`,
    [sessionId, userId],
  );
  const row = rows[0];
  if (!row) return undefined;
  const user: PublicUser = {
    id: userId,
    email: row.email,
    role: row.role,
    display_name: row.display_name,
    email_verified: row.email_verified,
    is_active: true,
    created_at: row.created_at.toISOString(),
  };
  return { sessionId, userId, role: row.role, user };
}

/** inet accepts IPv4-mapped IPv6 as is; anything unparsable (should not happen) is not stored. */
function normalizeIp(ip: string | undefined): string | null {
  if (!ip) return null;
  return /^[0-9a-fA-F:.]+$/.test(ip) ? ip : null;
}
