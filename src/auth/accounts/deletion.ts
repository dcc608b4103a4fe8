import { AppError } from '../../errors/app-error';
import { recordEvent } from '../audit/audit-events';
import type { Principal } from '../principal';
import { revokeUserSessions } from '../sessions/revocation';
import { recordSecurityEvent } from '../events/record';
import { sql } from '../sql';
import type { AccountClient, AccountServiceDeps } from './account-deps';
import { checkPassword, lockCheckedAccount } from './password-check';
import { bumpSecurityStamp } from './security-stamp';

/**
 * DELETE me: the row stays (cats, installations and logs point at it) but is anonymised and its
 * addresses erased (issue 22 M8, M9): email NULL (the real one is free for a new registration, and
 * NULL collides with nothing), password hash and display name cleared, is_active false and
 * deleted_at set, so it can never log in again; the security stamp moves. Every session ends; the
 * account's mail-link tokens are deleted (an email change's new_email goes with them); its outbox
 * rows lose the address and parameters, and mail still queued is dropped. What stays is keyed by
 * the user's id only. Like the other flows that checked the password, the write happens only if
 * the session is still live and the account unchanged since (lockCheckedAccount).
 */
export async function deleteAccount(deps: AccountServiceDeps, principal: Principal, password: string, client: AccountClient): Promise<void> {
  const checked = await checkPassword(deps, principal, password, client, 'account_deletion');
  await deps.dataSource.transaction(async (manager) => {
    if (principal.role === 'admin') {
      // Admins first, in id order, then the user: the order updateUser locks in (no deadlock).
      const admins = await sql(manager, `SELECT id FROM auth.users WHERE role = 'admin' AND is_active ORDER BY id FOR UPDATE`);
      if (admins.count <= 1) throw new AppError('last_admin', 'This is the last active admin: make another user admin first.');
    }
    await lockCheckedAccount(manager, principal, checked);
    await bumpSecurityStamp(manager, principal.userId);
    await sql(
      manager,
      `UPDATE auth.users SET email = NULL, password_hash = NULL, display_name = NULL, is_active = false, email_verified_at = NULL,
              developer_requested_at = NULL, deleted_at = statement_timestamp(), updated_at = statement_timestamp()
        WHERE id = $1`,
      [principal.userId],
    );
    const ended = await revokeUserSessions(manager, principal.userId, 'account_deleted');
    await recordEvent(manager, { type: 'account_deleted', userId: principal.userId, sessionId: principal.sessionId, client, detail: { sessions_ended: ended } });
    await sql(manager, `DELETE FROM auth.account_tokens WHERE user_id = $1`, [principal.userId]);
    // Developer credentials (issue 28): the account's personal access tokens (names it chose) and device logins go too.
    await sql(manager, `DELETE FROM auth.personal_access_tokens WHERE user_id = $1`, [principal.userId]);
    await sql(manager, `DELETE FROM auth.device_authorizations WHERE user_id = $1`, [principal.userId]);
    await sql(
      manager,
      `UPDATE auth.mail_outbox SET recipient = NULL, params = '{}', secret = NULL,
              status = CASE WHEN status = 'pending' THEN 'failed' ELSE status END,
              last_error = CASE WHEN status = 'pending' THEN 'account deleted' ELSE last_error END
        WHERE user_id = $1`,
      [principal.userId],
    );
    await recordSecurityEvent(manager, { type: 'user.deleted', subject: { user: principal.userId } });
  });
}
