import type { EntityManager } from 'typeorm';
import { AppError } from '../../errors/app-error';
import { recordEvent } from '../audit/audit-events';
import { enqueueMail } from '../mail/outbox';
import type { Principal } from '../principal';
import { sql } from '../sql';
import { isUniqueViolation, minutes, type AccountClient, type AccountServiceDeps } from './account-deps';
import { issueAccountToken, spendAccountToken } from './account-tokens';
import { emailTaken } from './users';

/** In the caller's transaction: a new verification token (earlier ones stop working) and its mail. */
export async function queueVerification(deps: AccountServiceDeps, manager: EntityManager, userId: string, email: string): Promise<void> {
  const ttl = deps.mail.emailVerificationTtlSeconds;
  const token = await issueAccountToken(manager, userId, 'verify_email', ttl);
  await enqueueMail(manager, deps.outboxKey, { template: 'verify_email', to: email, userId, token, params: { valid_minutes: minutes(ttl) } });
}

/**
 * POST verify-email: spends a verification or email-change token. A verification marks the
 * email verified; an email change switches to the new address, if it is still free now, and
 * marks it verified (409 email_taken otherwise; the rollback leaves the token unspent).
 */
export async function verifyEmail(deps: AccountServiceDeps, token: string, client: AccountClient): Promise<{ email: string; email_verified: true }> {
  return deps.dataSource.transaction(async (manager) => {
    const spent = await spendAccountToken(manager, token, ['verify_email', 'change_email']);
    if (spent.purpose === 'verify_email') {
      const { rows } = await sql<{ email: string }>(
        manager,
        `UPDATE auth.users SET email_verified_at = COALESCE(email_verified_at, statement_timestamp()), updated_at = statement_timestamp() WHERE id = $1 RETURNING email`,
        [spent.userId],
      );
      await recordEvent(manager, { type: 'email_verified', userId: spent.userId, client });
      return { email: rows[0]!.email, email_verified: true as const };
    }
    const newEmail = spent.newEmail!;
    try {
      await sql(manager, `UPDATE auth.users SET email = $2, email_verified_at = statement_timestamp(), updated_at = statement_timestamp() WHERE id = $1`, [spent.userId, newEmail]);
    } catch (err) {
      if (isUniqueViolation(err, 'uq_users_email')) throw emailTaken();
      throw err;
    }
    // A verification link for the old address must not verify the new one.
    await sql(manager, `UPDATE auth.account_tokens SET used_at = statement_timestamp() WHERE user_id = $1 AND purpose = 'verify_email' AND used_at IS NULL`, [spent.userId]);
    await recordEvent(manager, { type: 'email_changed', userId: spent.userId, client, detail: { verified: true } });
    return { email: newEmail, email_verified: true as const };
  });
}

/** POST verify-email/resend: a new verification mail; every earlier link stops working. */
export async function resendVerification(deps: AccountServiceDeps, principal: Principal, client: AccountClient): Promise<void> {
  if (principal.user.email_verified) throw new AppError('already_verified', 'This email address is already verified.');
  await deps.throttle.attempt(principal.user.email, client.ip);
  await deps.dataSource.transaction((manager) => queueVerification(deps, manager, principal.userId, principal.user.email));
  deps.mailQueued();
}
