import type { DataSource, EntityManager } from 'typeorm';
import { recordEvent } from '../audit/audit-events';
import type { SessionEndReason } from '../sessions/sessions';
import { sql } from '../sql';
import { SIGN_OUT_MODEL } from './adapter';

/**
 * The provider's side of "every session of this user ends" (issues 27/22): oidc-provider keeps its
 * own browser session (model Session, its `_session` cookie, OIDC_SESSION_TTL_SECONDS), which
 * lets a browser that once signed in at the login page authorize cats again without a password.
 * Ending the service's sessions alone left it alive: a browser signed in with a stolen password
 * kept authorizing cats as the player for up to 14 days after the owner reset the password.
 *
 * Called by sessions/revocation.ts inside the caller's transaction, so the provider sessions end
 * with the service's sessions or not at all. Plain statements (no session state): pooler-safe.
 * Deleting the row is enough: the library finds no session for the cookie, starts an empty one,
 * and the next authorization request shows the login page (prompt=none: login_required).
 */

/**
 * Reasons that also end the cats' tokens (access and refresh tokens, codes) issued to the user.
 * They are the ones where someone other than the player may hold the account, or where the account
 * itself goes: recovery by reset, the takeover defence, an admin ending sessions, resetting factors,
 * deactivating, and deletion. Consents stay listed (the takeover defence disconnects them itself):
 * the player allows an app again at its next sign-in; the intruder's tokens are gone. A player who is in control (password
 * change, logging out everywhere or the other devices) keeps their connected apps working, as with
 * Google (a password change ends only refresh tokens with Gmail scopes) and GitHub (a password
 * change is not among the reasons it revokes OAuth tokens); they disconnect an app from the
 * connected apps page. docs/oidc.md says the same to players and operators.
 */
const ENDS_APP_TOKENS: ReadonlySet<SessionEndReason> = new Set<SessionEndReason>([
  'password_reset',
  'identity_takeover_defence',
  'ended_by_admin',
  'factors_reset',
  'user_deactivated',
  'account_deleted',
]);

/**
 * How long the sign-out mark lasts: longer than the longest OIDC_SESSION_TTL_SECONDS allowed (one
 * year, config/env-schema.ts). A request that loaded a session before the delete saves it when it
 * ends; if that save lands between the delete and the commit, the row comes back. While the mark
 * lasts, the adapter (adapter.ts) reads any session signed in before its second as absent and never
 * writes one again, so a row brought back dies unused within one session TTL.
 * One row per user whose sessions were ended in the last year.
 */
const SIGN_OUT_MARK_SECONDS = 366 * 24 * 3_600;

/**
 * Whether every session of `userId` was ended after a sign-in at `signedInAt`: a sign-out mark
 * from a later second (the adapter's rule: a sign-in in the mark's own second counts as after it).
 * For sign-ins that live outside the service's sessions until they turn into one: the /device
 * page's, kept in its browser's signed cookie, and the device login it approved (issue 28).
 */
export async function sessionsEndedSince(executor: DataSource | EntityManager, userId: string, signedInAt: Date): Promise<boolean> {
  const { rows } = await sql<{ ended: boolean }>(
    executor,
    `SELECT EXISTS (SELECT 1 FROM auth.oidc_models
                     WHERE model = $1 AND id = $2 AND expires_at > statement_timestamp() AND (payload->>'at')::bigint > $3) AS ended`,
    [SIGN_OUT_MODEL, userId, Math.floor(signedInAt.getTime() / 1000)],
  );
  return rows[0]?.ended === true;
}

export interface ProviderSignOut {
  /** Provider browser sessions ended. */
  providerSessions: number;
  /** Connected apps whose live tokens ended (0 unless the reason ends app tokens). */
  appGrants: number;
}

/**
 * Ends every provider browser session of `userId` and, for the reasons in ENDS_APP_TOKENS, the
 * tokens of every grant of the user's connected apps; records `oidc_sessions_ended` in the audit
 * log when anything ended. Runs in the caller's transaction.
 */
export async function endProviderSignIns(manager: EntityManager, userId: string, reason: SessionEndReason): Promise<ProviderSignOut> {
  // Marked first, so that no request in flight can save a session of this user signed in until now
  // (adapter.ts upsert): the library saves the session it loaded at the end of every request.
  await sql(
    manager,
    `INSERT INTO auth.oidc_models (model, id, payload, expires_at)
     VALUES ($1, $2, jsonb_build_object('at', floor(extract(epoch FROM statement_timestamp()))::bigint), statement_timestamp() + make_interval(secs => $3))
     ON CONFLICT (model, id) DO UPDATE SET payload = EXCLUDED.payload, expires_at = EXCLUDED.expires_at`,
    [SIGN_OUT_MODEL, userId, SIGN_OUT_MARK_SECONDS],
  );
  // model = 'Session' matches the partial index idx_oidc_models_session_account_id.
  const { count: providerSessions } = await sql(manager, `DELETE FROM auth.oidc_models WHERE model = 'Session' AND payload->>'accountId' = $1`, [userId]);
  let appGrants = 0;
  if (ENDS_APP_TOKENS.has(reason)) {
    // The Grant row stays (the consent on record points at it); its codes and tokens go, by the grant_id index.
    const { rows } = await sql<{ grants: number }>(
      manager,
      `WITH ended AS (
         DELETE FROM auth.oidc_models
          WHERE model <> 'Grant' AND grant_id IN (SELECT grant_id FROM auth.connected_apps WHERE user_id = $1)
          RETURNING grant_id)
       SELECT count(DISTINCT grant_id)::int AS grants FROM ended`,
      [userId],
    );
    appGrants = rows[0]?.grants ?? 0;
  }
  if (providerSessions > 0 || appGrants > 0) {
    await recordEvent(manager, { type: 'oidc_sessions_ended', userId, detail: { reason, provider_sessions_ended: providerSessions, app_grants_ended: appGrants } });
  }
  return { providerSessions, appGrants };
}
