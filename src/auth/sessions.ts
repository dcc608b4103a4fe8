import type { DataSource, EntityManager } from 'typeorm';
import type { UserRole } from '../db/entities/index';
import type { PublicUser } from './users';
import { AppError } from '../errors/app-error';
import { randomUUID } from 'node:crypto';
import {
  allSecrets,
  childRefreshToken,
  firstRefreshToken,
  hashRefreshToken,
  legacyChildRefreshToken,
  looksLikeLegacyRefreshToken,
  parseRefreshToken,
  type ParsedRefreshToken,
} from './refresh-tokens';
import { sql } from './sql';
import type { TokenSecrets } from './token-secret';

/**
 * Sessions and their refresh-token families (RFC 9700 §4.14.2).
 *
 * One session is one login; its refresh tokens form a chain where each token's child is derived
 * from it (refresh-tokens.ts), and each token names its session and generation. The session row
 * is the whole state of the family: the current generation, the hash of the current token and
 * when it was rotated. The previous token is recognised by deriving its child and comparing that
 * with the current hash; anything older by its generation. So a rotation is one UPDATE of one row
 * found by primary key, and every decision about a family is made on that row, under its row lock,
 * which makes PostgreSQL the judge of concurrent refreshes, also across service instances.
 * Nothing relies on session state, so all of it works through a transaction-mode pooler.
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

/** Starts a session (a login) and issues the first refresh token of its family: one INSERT. */
export async function startSession(
  manager: EntityManager,
  userId: string,
  client: ClientInfo,
  settings: SessionSettings,
  secrets: TokenSecrets,
): Promise<IssuedRefreshToken> {
  // The id is made here because the token names it: the row and its first token in one statement.
  const sessionId = randomUUID();
  const refreshToken = firstRefreshToken(secrets, sessionId);
  await sql(
    manager,
    `INSERT INTO auth.sessions (id, user_id, expires_at, user_agent, ip, refresh_generation, refresh_token_hash)
     VALUES ($1, $2, statement_timestamp() + make_interval(secs => LEAST($3::int, $7::int)), $4, $5, 0, $6)`,
    [
      sessionId,
      userId,
      settings.refreshTokenTtlSeconds,
      client.userAgent?.slice(0, 512) ?? null,
      normalizeIp(client.ip),
      hashRefreshToken(refreshToken),
      settings.maxLifetimeSeconds,
    ],
  );
  return { sessionId, refreshToken };
}

/** What the session row says about a presented token, read under the session's row lock. */
interface LockedSession {
  user_id: string;
  generation: number;
  current_hash: Buffer | null;
  rotated_in_interval: boolean;
  revoked: boolean;
  expired: boolean;
  role: UserRole;
  is_active: boolean;
  email_verified: boolean;
}

/** Runs in the transaction that revokes the session on reuse (the audit event), so both commit together. */
type ReuseRecorder = (manager: EntityManager, reuse: { sessionId: string; userId: string }) => Promise<void>;

type RotationOutcome =
  | { kind: 'rotated'; token: RotatedRefreshToken }
  | { kind: 'reused'; sessionId: string; userId: string }
  | { kind: 'invalid' };

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
  //   RETURNING s.user_id, u.role, u.email_verified_at IS NOT NULL
  // It works through a transaction pooler: no named statement, nothing kept on the session.
  const { rows } = await sql<{ user_id: string | null; role: UserRole | null; email_verified: boolean | null }>(
    executor,
    `SELECT user_id, role, email_verified FROM auth.rotate_refresh_token($1, $2, $3, $4, $5, $6)`,
    [token.sessionId, token.generation, presentedHash, hashRefreshToken(child), settings.refreshTokenTtlSeconds, settings.maxLifetimeSeconds],
  );
  const row = rows[0];
  return row?.user_id
    ? { sessionId: token.sessionId, userId: row.user_id, role: row.role!, emailVerified: row.email_verified === true, refreshToken: child }
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

async function lockSession(manager: EntityManager, sessionId: string, settings: SessionSettings): Promise<LockedSession | undefined> {
  const { rows } = await sql<LockedSession>(
    manager,
    `SELECT s.user_id, s.refresh_generation AS generation, s.refresh_token_hash AS current_hash,
            s.refresh_rotated_at >= statement_timestamp() - make_interval(secs => $2) AS rotated_in_interval,
            s.revoked_at IS NOT NULL AS revoked,
            (s.expires_at <= statement_timestamp() OR s.created_at <= statement_timestamp() - make_interval(secs => $3)) AS expired,
            u.role, u.is_active, u.email_verified_at IS NOT NULL AS email_verified
       FROM auth.sessions s JOIN auth.users u ON u.id = s.user_id
      WHERE s.id = $1
        FOR UPDATE OF s`,
    [sessionId, settings.reuseIntervalSeconds, settings.maxLifetimeSeconds],
  );
  return rows[0];
}

/** The child of `parent` the session holds as current, made with whichever accepted secret made it. */
function currentChildOf(secrets: TokenSecrets, session: LockedSession, make: (secret: Buffer) => string): string | undefined {
  if (!session.current_hash) return undefined;
  for (const secret of allSecrets(secrets)) {
    const child = make(secret);
    if (hashRefreshToken(child).equals(session.current_hash)) return child;
  }
  return undefined;
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
  const base = { sessionId: token.sessionId, userId: session.user_id, role: session.role, emailVerified: session.email_verified };

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

/**
 * A token kept as a refresh_tokens row: one of the previous format (issued before issue 15,
 * `generation` 0), or one whose session the migration's `down` moved there. Accepted until it is
 * rotated, with the rules it had. Unused: marked used, and the session moves to the next
 * generation of the current format with the token's derived child. Presented again within the
 * interval: the same child. Otherwise: reuse. Its row and the session are locked in that order.
 */
async function rotateStoredToken(
  manager: EntityManager,
  secrets: TokenSecrets,
  presented: string,
  generation: number,
  settings: SessionSettings,
  recordReuse?: ReuseRecorder,
): Promise<RotationOutcome> {
  const { rows } = await sql<{
    token_id: string;
    session_id: string;
    used: boolean;
    token_expired: boolean;
    in_reuse_interval: boolean;
  }>(
    manager,
    `SELECT rt.id AS token_id, rt.session_id, rt.used_at IS NOT NULL AS used, rt.expires_at <= statement_timestamp() AS token_expired,
            rt.used_at >= statement_timestamp() - make_interval(secs => $2) AS in_reuse_interval
       FROM auth.refresh_tokens rt JOIN auth.sessions s ON s.id = rt.session_id
      WHERE rt.token_hash = $1
        FOR UPDATE OF rt, s`,
    [hashRefreshToken(presented), settings.reuseIntervalSeconds],
  );
  const legacy = rows[0];
  if (!legacy || legacy.token_expired) return { kind: 'invalid' };
  const session = await lockSession(manager, legacy.session_id, settings);
  if (!session || session.revoked || session.expired || !session.is_active) return { kind: 'invalid' };
  const base = { sessionId: legacy.session_id, userId: session.user_id, role: session.role, emailVerified: session.email_verified };

  if (!legacy.used) {
    // An unused row with a session already in the current format cannot be issued by this code.
    if (session.current_hash !== null) return { kind: 'invalid' };
    const child = childRefreshToken(secrets.current, legacy.session_id, generation, presented);
    await sql(manager, `UPDATE auth.refresh_tokens SET used_at = statement_timestamp() WHERE id = $1`, [legacy.token_id]);
    await sql(
      manager,
      `UPDATE auth.sessions SET refresh_generation = $5, refresh_token_hash = $2, refresh_rotated_at = statement_timestamp(),
              last_used_at = statement_timestamp(),
              expires_at = LEAST(statement_timestamp() + make_interval(secs => $3), created_at + make_interval(secs => $4))
        WHERE id = $1`,
      [legacy.session_id, hashRefreshToken(child), settings.refreshTokenTtlSeconds, settings.maxLifetimeSeconds, generation + 1],
    );
    return { kind: 'rotated', token: { ...base, refreshToken: child } };
  }
  if (legacy.used && legacy.in_reuse_interval) {
    // Rotated since the change: its child is the session's next generation, if still current.
    if (session.generation === generation + 1) {
      const current = currentChildOf(secrets, session, (secret) => childRefreshToken(secret, legacy.session_id, generation, presented));
      if (current) return { kind: 'rotated', token: { ...base, refreshToken: current } };
    }
    // Rotated just before the change: its child is a previous-format row, if still unused.
    if (session.current_hash === null && generation === 0) {
      for (const secret of allSecrets(secrets)) {
        const child = legacyChildRefreshToken(secret, presented);
        const unused = await sql(
          manager,
          `SELECT 1 FROM auth.refresh_tokens WHERE token_hash = $1 AND parent_id = $2 AND used_at IS NULL AND expires_at > statement_timestamp()`,
          [hashRefreshToken(child), legacy.token_id],
        );
        if (unused.count === 1) return { kind: 'rotated', token: { ...base, refreshToken: child } };
      }
    }
  }
  await revokeSessionWith(manager, legacy.session_id, 'refresh_token_reused');
  await recordReuse?.(manager, { sessionId: legacy.session_id, userId: session.user_id });
  return { kind: 'reused', sessionId: legacy.session_id, userId: session.user_id };
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

/**
 * The session and user a refresh token belongs to, whatever its state, for logout; `current` says
 * whether it is the session's latest token (not rotated away).
 */
export async function findRefreshTokenOwner(
  dataSource: DataSource,
  secrets: TokenSecrets,
  presented: string,
): Promise<{ sessionId: string; userId: string; sessionLive: boolean; current: boolean } | undefined> {
  const token = parseRefreshToken(secrets, presented);
  let rows: { session_id: string; user_id: string; session_live: boolean; current: boolean }[];
  if (token) {
    ({ rows } = await sql(
      dataSource,
      `SELECT s.id AS session_id, s.user_id, (s.revoked_at IS NULL AND s.expires_at > statement_timestamp()) AS session_live,
              (s.refresh_generation = $2 AND s.refresh_token_hash = $3) AS current
         FROM auth.sessions s WHERE s.id = $1`,
      [token.sessionId, token.generation, hashRefreshToken(presented)],
    ));
  } else if (looksLikeLegacyRefreshToken(presented)) {
    ({ rows } = await sql(
      dataSource,
      `SELECT rt.session_id, s.user_id, (s.revoked_at IS NULL AND s.expires_at > statement_timestamp()) AS session_live,
              (rt.used_at IS NULL AND s.refresh_token_hash IS NULL) AS current
         FROM auth.refresh_tokens rt JOIN auth.sessions s ON s.id = rt.session_id WHERE rt.token_hash = $1`,
      [hashRefreshToken(presented)],
    ));
  } else {
    return undefined;
  }
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
  // auth.live_session_user (migration 1795602888948) is this query in PL/pgSQL, planned once per
  // server connection rather than on every request (the reason is rotate_refresh_token's):
  //   SELECT u.email, u.role, u.display_name, u.created_at, u.email_verified_at IS NOT NULL
  //     FROM auth.sessions s JOIN auth.users u ON u.id = s.user_id
  //    WHERE s.id = <session> AND s.user_id = <user> AND s.revoked_at IS NULL AND s.expires_at > now AND u.is_active
  // It answers one row, of NULLs when the session is not live.
  const { rows } = await sql<{ email: string | null; role: UserRole; display_name: string | null; created_at: Date; email_verified: boolean }>(
    executor,
    `SELECT email, role, display_name, created_at, email_verified FROM auth.live_session_user($1, $2)`,
    [sessionId, userId],
  );
  const row = rows[0];
  if (!row?.email) return undefined;
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
