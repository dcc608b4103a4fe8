import type { DataSource, EntityManager } from 'typeorm';
import { isUuid } from '../ids';
import type { SessionEndReason } from './sessions';
import { sql } from '../sql';

/** Ending sessions: one, one of a user's, all but one, or all of a user's. Each is an UPDATE of revoked_at. */

export async function revokeSessionWith(manager: EntityManager | DataSource, sessionId: string, reason: SessionEndReason): Promise<boolean> {
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
