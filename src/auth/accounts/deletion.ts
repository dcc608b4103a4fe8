import { AppError } from '../../errors/app-error';
import { recordEvent } from '../audit/audit-events';
import type { Principal } from '../principal';
import { revokeUserSessions } from '../sessions/revocation';
import { sql } from '../sql';
import type { AccountClient, AccountServiceDeps } from './account-deps';
import { revokeAccountTokens } from './account-tokens';
import { checkPassword } from './password-check';

/** The email a deleted account keeps: unique, valid for the CHECK, at a reserved domain (RFC 2606), so the real one is free again. */
export function deletedEmail(userId: string): string {
  return `deleted-${userId}@deleted.invalid`;
}

/**
 * DELETE me: the row stays (cats, installations and logs point at it) but is anonymised: the
 * email becomes deleted-<id>@deleted.invalid (the real one is free for a new registration),
 * password hash and display name are cleared, is_active false and deleted_at set, so it can
 * never log in again. Every session and mail link ends; mail still queued for it is dropped and
 * the outbox rows lose the address.
 */
export async function deleteAccount(deps: AccountServiceDeps, principal: Principal, password: string, client: AccountClient): Promise<void> {
  await checkPassword(deps, principal, password, client, 'account_deletion');
  await deps.dataSource.transaction(async (manager) => {
    if (principal.role === 'admin') {
      const admins = await sql(manager, `SELECT id FROM auth.users WHERE role = 'admin' AND is_active ORDER BY id FOR UPDATE`);
      if (admins.count <= 1) throw new AppError('last_admin', 'This is the last active admin: make another user admin first.');
    }
    const anonymous = deletedEmail(principal.userId);
    await sql(
      manager,
      `UPDATE auth.users SET email = $2, password_hash = NULL, display_name = NULL, is_active = false, email_verified_at = NULL,
              deleted_at = statement_timestamp(), updated_at = statement_timestamp()
        WHERE id = $1`,
      [principal.userId, anonymous],
    );
    const ended = await revokeUserSessions(manager, principal.userId, 'account_deleted');
    await recordEvent(manager, { type: 'account_deleted', userId: principal.userId, sessionId: principal.sessionId, client, detail: { sessions_ended: ended } });
    await revokeAccountTokens(manager, principal.userId);
    await sql(
      manager,
      `UPDATE auth.mail_outbox SET recipient = $2, params = '{}', secret = NULL,
              status = CASE WHEN status = 'pending' THEN 'failed' ELSE status END,
              last_error = CASE WHEN status = 'pending' THEN 'account deleted' ELSE last_error END
        WHERE user_id = $1`,
      [principal.userId, anonymous],
    );
  });
}
