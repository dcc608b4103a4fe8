import ipaddr from 'ipaddr.js';
import { recordEvent } from '../audit/audit-events';
import { enqueueMail, sealToken } from '../mail/outbox';
import { recordSecurityEvent } from '../events/record';
import { revokeUserSessions } from '../sessions/revocation';
import { sql } from '../sql';
import { minutes, type AccountClient, type AccountServiceDeps } from './account-deps';
import { generateAccountToken, hashAccountToken, RefusedLink, spendAccountToken } from './account-tokens';
import { grantDeveloperRole } from './developer-role';
import { assertPasswordPolicy } from './passwords';
import { withRefusedLinksRecorded } from './link-refusals';
import { bumpSecurityStamp } from './security-stamp';
import { normalizeEmail } from './users';

/**
 * POST password/forgot. Known and unknown addresses take the same code path: after the same
 * throttle, one statement that, only if an active account has this email, supersedes its
 * earlier reset tokens, stores the new one (under the account's security stamp) and queues the
 * mail (atomically, being one statement), and records the request in the audit log either way
 * (for an unknown address as a keyed hash). The token is generated and sealed either way, so the
 * work differs only by the rows the statement finds.
 */
export async function forgotPassword(deps: AccountServiceDeps, email: string, client: AccountClient): Promise<void> {
  const normalized = normalizeEmail(email);
  await deps.throttle.attempt(normalized, client.ip);
  const ttl = deps.mail.passwordResetTtlSeconds;
  const token = generateAccountToken();
  await sql(
    deps.dataSource,
    `WITH target AS (
       SELECT id, email, security_stamp FROM auth.users WHERE email = $1 AND is_active AND deleted_at IS NULL
     ), superseded AS (
       UPDATE auth.account_tokens SET used_at = statement_timestamp()
        WHERE user_id IN (SELECT id FROM target) AND purpose = 'reset_password' AND used_at IS NULL
     ), issued AS (
       INSERT INTO auth.account_tokens (user_id, purpose, token_hash, expires_at, security_stamp)
       SELECT id, 'reset_password', $2, statement_timestamp() + make_interval(secs => $3), security_stamp FROM target
     ), audited AS (
       -- Always one event, linked to the account or carrying the keyed email hash: both cases
       -- write and so commit alike (a read-only commit would skip the WAL flush and be faster).
       INSERT INTO auth.audit_events (type, user_id, ip, user_agent, detail)
       SELECT 'password_reset_requested', t.id, $6, $7,
              CASE WHEN t.id IS NULL THEN jsonb_build_object('email_hash', $8::text) ELSE '{}'::jsonb END
         FROM (SELECT (SELECT id FROM target) AS id) t
     )
     INSERT INTO auth.mail_outbox (template, recipient, user_id, params, secret)
     SELECT 'reset_password', email, id, $4::jsonb, $5 FROM target`,
    [
      normalized,
      hashAccountToken(token),
      ttl,
      JSON.stringify({ valid_minutes: minutes(ttl) }),
      sealToken(deps.outboxKey, token),
      ipaddr.isValid(client.ip) ? client.ip : null,
      client.userAgent?.slice(0, 512) ?? null,
      deps.auditEmailHash(normalized),
    ],
  );
  deps.mailQueued();
}

/**
 * POST password/reset: the new password, the security stamp bumped (every other link of the
 * account dies: an email change someone else asked for before the reset can no longer be
 * completed), every session ended (whoever had the old password is out), the email marked
 * verified (the link proved the mailbox), and a notice.
 */
export async function resetPassword(deps: AccountServiceDeps, token: string, password: string, client: AccountClient): Promise<void> {
  assertPasswordPolicy(password);
  await withRefusedLinksRecorded(deps, 'reset_password', client, async () => {
    // Checked before hashing so that made-up tokens cost a lookup, not a bcrypt; spent (with the stamp) below.
    const { rows } = await sql<{ user_id: string; live: boolean }>(
      deps.dataSource,
      `SELECT user_id, (used_at IS NULL AND expires_at > statement_timestamp()) AS live FROM auth.account_tokens WHERE token_hash = $1 AND purpose = 'reset_password'`,
      [hashAccountToken(token)],
    );
    if (!rows[0]?.live) throw new RefusedLink(rows[0]?.user_id ?? null);
    await deps.breachedPasswords?.(password, 'reset');
    const passwordHash = await deps.passwordChecks.run(() => deps.hasher.hash(password));
    await deps.dataSource.transaction(async (manager) => {
      const spent = await spendAccountToken(manager, token, ['reset_password']);
      const { rows: users } = await sql<{ email: string }>(
        manager,
        `UPDATE auth.users SET password_hash = $2, email_verified_at = COALESCE(email_verified_at, statement_timestamp()), updated_at = statement_timestamp()
          WHERE id = $1 RETURNING email`,
        [spent.userId, passwordHash],
      );
      await bumpSecurityStamp(manager, spent.userId);
      const ended = await revokeUserSessions(manager, spent.userId, 'password_reset');
      await recordEvent(manager, { type: 'password_reset_completed', userId: spent.userId, client, detail: { sessions_ended: ended } });
      await grantDeveloperRole(manager, spent.userId, 'email_verified', { client, requestedOnly: true });
      await enqueueMail(manager, deps.outboxKey, { template: 'password_reset_done', to: users[0]!.email, userId: spent.userId });
      await recordSecurityEvent(manager, { type: 'user.password_reset', subject: { user: spent.userId } });
    });
  });
  deps.mailQueued();
}
