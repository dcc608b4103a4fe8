import { AppError } from '../../errors/app-error';
import { recordEvent } from '../audit/audit-events';
import { enqueueMail } from '../mail/outbox';
import { recordSecurityEvent } from '../events/record';
import type { Principal } from '../principal';
import { revokeOtherSessions } from '../sessions/revocation';
import { sql } from '../sql';
import { minutes, type AccountClient, type AccountServiceDeps } from './account-deps';
import { issueAccountToken } from './account-tokens';
import { assertEmailAllowed } from './email-policy';
import { checkPassword, lockCheckedAccount, staleSession } from './password-check';
import { assertPasswordPolicy } from './passwords';
import { bumpSecurityStamp } from './security-stamp';
import { emailTaken, normalizeEmail } from './users';

/**
 * POST password/change: ends every other session of the user, keeps this one, bumps the security
 * stamp (every mailed link of the account dies: a reset link asked for before must not undo the
 * change), sends a notice. Limited per account (PASSWORD_CHANGE_MAX_PER_ACCOUNT). The write
 * happens only if the session is still live and the account unchanged since the password was
 * checked (lockCheckedAccount), and is itself a compare-and-swap on the stamp: a change still in
 * flight when a reset completes answers 401 and writes nothing (issue 22 H2).
 */
export async function changePassword(
  deps: AccountServiceDeps,
  principal: Principal,
  currentPassword: string,
  newPassword: string,
  client: AccountClient,
): Promise<void> {
  assertPasswordPolicy(newPassword);
  const checked = await checkPassword(deps, principal, currentPassword, client, 'password_change');
  await deps.breachedPasswords?.(newPassword, 'change');
  await deps.passwordChanges.attempt(principal.userId);
  const passwordHash = await deps.passwordChecks.run(() => deps.hasher.hash(newPassword), client);
  await deps.dataSource.transaction(async (manager) => {
    await lockCheckedAccount(manager, principal, checked);
    const { count } = await sql(
      manager,
      `UPDATE auth.users SET password_hash = $2, updated_at = statement_timestamp() WHERE id = $1 AND security_stamp = $3`,
      [principal.userId, passwordHash, checked.stamp],
    );
    if (count !== 1) throw staleSession();
    await bumpSecurityStamp(manager, principal.userId);
    const ended = await revokeOtherSessions(manager, principal.userId, principal.sessionId, 'password_changed');
    await recordEvent(manager, { type: 'password_changed', userId: principal.userId, sessionId: principal.sessionId, client, detail: { sessions_ended: ended } });
    await enqueueMail(manager, deps.outboxKey, { template: 'password_changed', to: checked.email, userId: principal.userId });
    await recordSecurityEvent(manager, { type: 'user.password_changed', subject: { user: principal.userId } });
  });
  deps.mailQueued();
}

/**
 * POST email/change: a confirmation link to the new address and a notice to the current one.
 * The address changes only when the link is used (verifyEmail), and only if still free then.
 * The link is issued under the stamp the password was checked with (lockCheckedAccount): one
 * asked for while a reset completes is refused (401) rather than issued after it.
 */
export async function requestEmailChange(
  deps: AccountServiceDeps,
  principal: Principal,
  newEmail: string,
  password: string,
  client: AccountClient,
): Promise<void> {
  const target = normalizeEmail(newEmail);
  assertEmailAllowed(target, deps.refusedEmailTlds, 'new_email');
  const checked = await checkPassword(deps, principal, password, client, 'email_change');
  if (target === checked.email) {
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
    await lockCheckedAccount(manager, principal, checked);
    const token = await issueAccountToken(manager, principal.userId, 'change_email', ttl, target);
    await enqueueMail(manager, deps.outboxKey, { template: 'confirm_email_change', to: target, userId: principal.userId, token, params: { valid_minutes: minutes(ttl), new_email: target } });
    await enqueueMail(manager, deps.outboxKey, { template: 'email_change_requested', to: checked.email, userId: principal.userId, params: { new_email: target } });
  });
  deps.mailQueued();
}
