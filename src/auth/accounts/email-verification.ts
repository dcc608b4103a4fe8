import type { EntityManager } from 'typeorm';
import { AppError } from '../../errors/app-error';
import { recordEvent } from '../audit/audit-events';
import { enqueueMail } from '../mail/outbox';
import { recordSecurityEvent } from '../events/record';
import type { Principal } from '../principal';
import { sql } from '../sql';
import { isUniqueViolation, minutes, type AccountClient, type AccountServiceDeps } from './account-deps';
import { issueAccountToken, spendAccountToken } from './account-tokens';
import { grantDeveloperRole } from './developer-role';
import { withRefusedLinksRecorded } from './link-refusals';
import { bumpSecurityStamp } from './security-stamp';
import { emailTaken } from './users';

/** In the caller's transaction: a new verification token (earlier ones stop working) and its mail. */
export async function queueVerification(deps: AccountServiceDeps, manager: EntityManager, userId: string, email: string): Promise<void> {
  const ttl = deps.mail.emailVerificationTtlSeconds;
  const token = await issueAccountToken(manager, userId, 'verify_email', ttl);
  await enqueueMail(manager, deps.outboxKey, { template: 'verify_email', to: email, userId, token, params: { valid_minutes: minutes(ttl) } });
}

/**
 * POST verify-email: spends a verification or email-change token. A verification marks the
 * email verified (and grants the developer role registration asked for, developer-role.ts). An
 * email change switches to the new address, if it is still free now (409 email_taken otherwise;
 * the rollback leaves the token unspent), marks it verified, bumps the security stamp (every other
 * link of the account dies, among them reset links mailed to the old address) and mails the old
 * address that it changed.
 */
export async function verifyEmail(deps: AccountServiceDeps, token: string, client: AccountClient): Promise<{ email: string; email_verified: true }> {
  const verified = await withRefusedLinksRecorded(deps, 'verify_email', client, () =>
    deps.dataSource.transaction(async (manager) => {
      const spent = await spendAccountToken(manager, token, ['verify_email', 'change_email']);
      if (spent.purpose === 'verify_email') {
        const { rows } = await sql<{ email: string }>(
          manager,
          `UPDATE auth.users SET email_verified_at = COALESCE(email_verified_at, statement_timestamp()), updated_at = statement_timestamp() WHERE id = $1 RETURNING email`,
          [spent.userId],
        );
        await recordEvent(manager, { type: 'email_verified', userId: spent.userId, client });
        await grantDeveloperRole(manager, spent.userId, 'email_verified', { client, requestedOnly: true });
        return { email: rows[0]!.email, email_verified: true as const, mailed: false };
      }
      const newEmail = spent.newEmail!;
      let oldEmail: string;
      try {
        const { rows } = await sql<{ old_email: string }>(
          manager,
          `UPDATE auth.users u SET email = $2, email_verified_at = statement_timestamp(), updated_at = statement_timestamp()
             FROM (SELECT id, email AS old_email FROM auth.users WHERE id = $1) old
            WHERE u.id = old.id RETURNING old.old_email`,
          [spent.userId, newEmail],
        );
        oldEmail = rows[0]!.old_email;
      } catch (err) {
        if (isUniqueViolation(err, 'uq_users_email')) throw emailTaken();
        throw err;
      }
      await bumpSecurityStamp(manager, spent.userId);
      await recordEvent(manager, { type: 'email_changed', userId: spent.userId, client, detail: { verified: true } });
      await grantDeveloperRole(manager, spent.userId, 'email_verified', { client, requestedOnly: true });
      await enqueueMail(manager, deps.outboxKey, { template: 'email_changed', to: oldEmail, userId: spent.userId, params: { new_email: newEmail } });
      await recordSecurityEvent(manager, { type: 'user.email_changed', subject: { user: spent.userId } });
      return { email: newEmail, email_verified: true as const, mailed: true };
    }),
  );
  if (verified.mailed) deps.mailQueued();
  return { email: verified.email, email_verified: verified.email_verified };
}

/**
 * POST verify-email/resend: a new verification mail; every earlier link stops working. Counted
 * against the account, not the address, so strangers asking mail for it cannot block the owner.
 */
export async function resendVerification(deps: AccountServiceDeps, principal: Principal, client: AccountClient): Promise<void> {
  if (principal.user.email_verified) throw new AppError('already_verified', 'This email address is already verified.');
  const email = principal.user.email;
  if (email === null) throw new AppError('guest_not_allowed', 'A guest has no address to verify: upgrade first (POST guest/upgrade).');
  await deps.throttle.attemptAsOwner(principal.userId, client.ip);
  await deps.dataSource.transaction((manager) => queueVerification(deps, manager, principal.userId, email));
  deps.mailQueued();
}
