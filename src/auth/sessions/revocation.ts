import type { DataSource, EntityManager } from 'typeorm';
import { recordSecurityEvent, inTransaction } from '../events/record';
import type { InitiatingEntity } from '../events/catalogue';
import { isUuid } from '../ids';
import type { SessionEndReason } from './sessions';
import { sql } from '../sql';
import { endProviderSignIns } from '../oidc/provider-sign-outs';

/**
 * Ending sessions: one, one of a user's, all but one, or all of a user's. Each is an UPDATE of
 * revoked_at and, in the same transaction, the security event that tells the other services
 * (issue 29: session.revoked per session, user.sessions_revoked when all end at once), so every
 * caller that ends a session announces it, and only when something ended.
 *
 * Ending every session (revokeUserSessions) or all but the caller's (revokeOtherSessions) also ends
 * the OpenID provider's browser sessions of the user, in the same transaction (oidc/provider-sign-outs.ts):
 * none of them is the caller's, since a provider sign-in makes no session here. Ending one session
 * leaves them alone: a logout on one device does not sign the player out of the provider on another.
 */

/** Who ends a session for each reason (CAEP initiating_entity). */
const INITIATED_BY: Record<SessionEndReason, InitiatingEntity> = {
  logout: 'user',
  logout_global: 'user',
  logout_others: 'user',
  refresh_token_reused: 'policy',
  user_deactivated: 'admin',
  ended_by_user: 'user',
  ended_by_admin: 'admin',
  password_changed: 'user',
  password_reset: 'user',
  account_deleted: 'user',
  // Issue 26: an admin resets the factors of a user who lost them all.
  factors_reset: 'admin',
  // Issue 25: a provider proved the address of an account whose password never did.
  identity_takeover_defence: 'policy',
};

async function announceSessions(manager: EntityManager, rows: { id: string; user_id: string }[], reason: SessionEndReason): Promise<void> {
  for (const row of rows) {
    await recordSecurityEvent(manager, {
      type: 'session.revoked',
      subject: { user: row.user_id, session: row.id },
      initiatedBy: INITIATED_BY[reason],
      data: { reason },
    });
  }
}

export async function revokeSessionWith(executor: EntityManager | DataSource, sessionId: string, reason: SessionEndReason): Promise<boolean> {
  return inTransaction(executor, async (manager) => {
    const { rows } = await sql<{ id: string; user_id: string }>(
      manager,
      `UPDATE auth.sessions SET revoked_at = statement_timestamp(), revoked_reason = $2 WHERE id = $1 AND revoked_at IS NULL RETURNING id, user_id`,
      [sessionId, reason],
    );
    await announceSessions(manager, rows, reason);
    return rows.length > 0;
  });
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
  return inTransaction(executor, async (manager) => {
    const { rows } = await sql<{ id: string; user_id: string }>(
      manager,
      `UPDATE auth.sessions SET revoked_at = statement_timestamp(), revoked_reason = $3
        WHERE id = $1 AND user_id = $2 AND revoked_at IS NULL AND expires_at > statement_timestamp()
        RETURNING id, user_id`,
      [sessionId, userId, reason],
    );
    await announceSessions(manager, rows, reason);
    return rows.length > 0;
  });
}

/** Ends every live session of a user but one (logout scope `others`); returns how many. */
export async function revokeOtherSessions(
  executor: DataSource | EntityManager,
  userId: string,
  keepSessionId: string,
  reason: SessionEndReason,
): Promise<number> {
  return inTransaction(executor, async (manager) => {
    const { rows } = await sql<{ id: string; user_id: string }>(
      manager,
      `UPDATE auth.sessions SET revoked_at = statement_timestamp(), revoked_reason = $3
        WHERE user_id = $1 AND id <> $2 AND revoked_at IS NULL AND expires_at > statement_timestamp()
        RETURNING id, user_id`,
      [userId, keepSessionId, reason],
    );
    // One event per session: the one kept must stay valid at the receivers.
    await announceSessions(manager, rows, reason);
    await endProviderSignIns(manager, userId, reason);
    return rows.length;
  });
}

/**
 * Ends every live session of a user, in the caller's transaction when given one; returns how
 * many. One user.sessions_revoked event stands for all of them: receivers refuse every token of
 * the user issued until then, however many sessions there were.
 */
export async function revokeUserSessions(
  executor: DataSource | EntityManager,
  userId: string,
  reason: SessionEndReason,
): Promise<number> {
  return inTransaction(executor, async (manager) => {
    const { count } = await sql(
      manager,
      `UPDATE auth.sessions SET revoked_at = statement_timestamp(), revoked_reason = $2 WHERE user_id = $1 AND revoked_at IS NULL`,
      [userId, reason],
    );
    const provider = await endProviderSignIns(manager, userId, reason);
    if (count > 0 || provider.providerSessions > 0 || provider.appGrants > 0) {
      await recordSecurityEvent(manager, {
        type: 'user.sessions_revoked',
        subject: { user: userId },
        initiatedBy: INITIATED_BY[reason],
        data: { reason, sessions_ended: count, provider_sessions_ended: provider.providerSessions, app_grants_ended: provider.appGrants },
      });
    }
    return count;
  });
}
