import { AppError } from '../../errors/app-error';
import { recordEvent } from '../audit/audit-events';
import { enqueueMail } from '../mail/outbox';
import type { Principal } from '../principal';
import { revokeOtherSessions } from '../sessions/revocation';
import { sql } from '../sql';
import { minutes, type AccountClient, type AccountServiceDeps } from './account-deps';
import { issueAccountToken } from './account-tokens';
import { checkPassword } from './password-check';
import { assertPasswordPolicy } from './passwords';
import { emailTaken, normalizeEmail } from './users';

/** POST password/change: ends every other session of the user, keeps this one, sends a notice. */
export async function changePassword(
  deps: AccountServiceDeps,
  principal: Principal,
  currentPassword: string,
  newPassword: string,
  client: AccountClient,
): Promise<void> {
  assertPasswordPolicy(newPassword);
  const email = await checkPassword(deps, principal, currentPassword, client, 'password_change');
  const passwordHash = await deps.passwordChecks.run(() => deps.hasher.hash(newPassword));
  await deps.dataSource.transaction(async (manager) => {
    await sql(manager, `UPDATE auth.users SET password_hash = $2, updated_at = statement_timestamp() WHERE id = $1`, [principal.userId, passwordHash]);
    const ended = await revokeOtherSessions(manager, principal.userId, principal.sessionId, 'password_changed');
    await recordEvent(manager, { type: 'password_changed', userId: principal.userId, sessionId: principal.sessionId, client, detail: { sessions_ended: ended } });
    // A reset link asked for before the change must not undo it.
    await sql(manager, `UPDATE auth.account_tokens SET used_at = statement_timestamp() WHERE user_id = $1 AND purpose = 'reset_password' AND used_at IS NULL`, [principal.userId]);
    await enqueueMail(manager, deps.outboxKey, { template: 'password_changed', to: email, userId: principal.userId });
  });
  deps.mailQueued();
}

/**
 * POST email/change: a confirmation link to the new address and a notice to the current one.
 * The address changes only when the link is used (verifyEmail), and only if still free then.
 */
export async function requestEmailChange(
  deps: AccountServiceDeps,
  principal: Principal,
  newEmail: string,
  password: string,
  client: AccountClient,
): Promise<void> {
  const target = normalizeEmail(newEmail);
  const current = await checkPassword(deps, principal, password, client, 'email_change');
  if (target === current) {
    throw new AppError('invalid_request', 'The request body is invalid: new_email: this is already the account\'s address.', {
      fields: { invalid_params: [{ name: 'new_email', reason: 'same as the current address' }] },
    });
  }
  await deps.throttle.attempt(target, client.ip);
  // Registration answers 409 for a taken address too (docs/api.md); the password was needed to get here.
  const { rows } = await sql(deps.dataSource, `SELECT 1 FROM auth.users WHERE email = $1`, [target]);
  if (rows.length > 0) throw emailTaken();
  const ttl = deps.mail.emailVerificationTtlSeconds;
  await deps.dataSource.transaction(async (manager) => {
    const token = await issueAccountToken(manager, principal.userId, 'change_email', ttl, target);
    await enqueueMail(manager, deps.outboxKey, { template: 'confirm_email_change', to: target, userId: principal.userId, token, params: { valid_minutes: minutes(ttl), new_email: target } });
    await enqueueMail(manager, deps.outboxKey, { template: 'email_change_requested', to: current, userId: principal.userId, params: { new_email: target } });
  });
  deps.mailQueued();
}
