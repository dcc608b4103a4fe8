// Over 250 lines on purpose: one class for the account flows after registration, which share their
// dependencies (outbox, throttles, hasher); each method is one flow in one transaction.
import ipaddr from 'ipaddr.js';
import type { DataSource, EntityManager } from 'typeorm';
import type { Config } from '../../config/config';
import type { User } from '../../db/entities/index';
import { AppError } from '../../errors/app-error';
import type { Logger } from '../../logging/logger';
import { generateAccountToken, hashAccountToken, issueAccountToken, linkInvalid, spendAccountToken, revokeAccountTokens } from './account-tokens';
import { recordEvent, type AuditClient } from '../audit/audit-events';
import type { Principal } from '../principal';
import type { LoginThrottle } from '../throttling/login-throttle';
import type { MailThrottle } from '../throttling/mail-throttle';
import { enqueueMail, sealToken } from '../mail/outbox';
import { assertPasswordPolicy, type PasswordHasher } from './passwords';
import { revokeOtherSessions, revokeUserSessions } from '../sessions/revocation';
import { sql } from '../sql';
import { publicUser, type PublicUser } from './public-user';
import { emailTaken, normalizeEmail } from './users';
import type { WorkGate } from '../throttling/work-gate';

export interface AccountServiceDeps {
  dataSource: DataSource;
  mail: Config['mail'];
  hasher: PasswordHasher;
  /** Bounds bcrypt work in flight (the login gate): these flows check or hash passwords too. */
  passwordChecks: WorkGate;
  /**
   * The login throttle: a password checked here counts against the account like a login, so a
   * stolen access token gets no more guesses at the password than the login form gives.
   */
  loginThrottle: LoginThrottle;
  throttle: MailThrottle;
  /** outboxKey(TOKEN_SECRET). */
  outboxKey: Buffer;
  /** Called after a commit that queued mail (the local sender looks at once). */
  mailQueued: () => void;
  /** Signs an access token for a session that stays as it is. */
  accessToken: (subject: { userId: string; sessionId: string; role: User['role']; emailVerified: boolean }) => { accessToken: string; expiresIn: number };
  /** hashEmailForAudit(TOKEN_SECRET, email): how an address that may not be an account is stored in the audit log. */
  auditEmailHash: (normalizedEmail: string) => string;
  logger?: Logger;
}

/** The email a deleted account keeps: unique, valid for the CHECK, at a reserved domain (RFC 2606), so the real one is free again. */
export function deletedEmail(userId: string): string {
  return `deleted-${userId}@deleted.invalid`;
}

const minutes = (seconds: number) => Math.round(seconds / 60);

/** What a password was asked for, in `detail.action` of password_check_failed. */
type PasswordCheckAction = 'password_change' | 'email_change' | 'account_deletion';

/** The client of a request, for the throttle (ip) and the audit log. */
export type AccountClient = AuditClient & { ip: string };

function isUniqueViolation(err: unknown, constraint: string): boolean {
  const e = err as { code?: string; constraint?: string; driverError?: { code?: string; constraint?: string } };
  const d = e.driverError ?? e;
  return d.code === '23505' && d.constraint === constraint;
}

/**
 * The account lifecycle after registration: email verification, password reset and change,
 * email change, profile, the developer role, deletion. Every mail is written to the outbox in
 * the same transaction as the change it belongs to. Methods throw AppError for what a client
 * can act on; route handlers map it.
 */
export class AccountService {
  constructor(private readonly deps: AccountServiceDeps) {}

  /** In the registration's transaction: a verification token and its mail. */
  async onRegistered(manager: EntityManager, user: User): Promise<void> {
    await this.queueVerification(manager, user.id, user.email);
  }

  private async queueVerification(manager: EntityManager, userId: string, email: string): Promise<void> {
    const ttl = this.deps.mail.emailVerificationTtlSeconds;
    const token = await issueAccountToken(manager, userId, 'verify_email', ttl);
    await enqueueMail(manager, this.deps.outboxKey, { template: 'verify_email', to: email, userId, token, params: { valid_minutes: minutes(ttl) } });
  }

  /**
   * POST verify-email: spends a verification or email-change token. A verification marks the
   * email verified; an email change switches to the new address, if it is still free now, and
   * marks it verified (409 email_taken otherwise; the rollback leaves the token unspent).
   */
  async verifyEmail(token: string, client: AccountClient): Promise<{ email: string; email_verified: true }> {
    return this.deps.dataSource.transaction(async (manager) => {
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
  async resendVerification(principal: Principal, client: AccountClient): Promise<void> {
    if (principal.user.email_verified) throw new AppError('already_verified', 'This email address is already verified.');
    const email = principal.user.email;
    if (email === null) throw new AppError('guest_not_allowed', 'A guest has no address to verify: upgrade first (POST guest/upgrade).');
    await this.deps.throttle.attempt(email, client.ip);
    await this.deps.dataSource.transaction((manager) => this.queueVerification(manager, principal.userId, email));
    this.deps.mailQueued();
  }

  /**
   * POST password/forgot. Known and unknown addresses take the same code path: after the same
   * throttle, one statement that, only if an active account has this email, supersedes its
   * earlier reset tokens, stores the new one and queues the mail (atomically, being one
   * statement), and records the request in the audit log either way (for an unknown address as a
   * keyed hash). The token is generated and sealed either way, so the work differs only by the rows
   * the statement finds.
   */
  async forgotPassword(email: string, client: AccountClient): Promise<void> {
    const normalized = normalizeEmail(email);
    await this.deps.throttle.attempt(normalized, client.ip);
    const ttl = this.deps.mail.passwordResetTtlSeconds;
    const token = generateAccountToken();
    await sql(
      this.deps.dataSource,
      `WITH target AS (
         SELECT id, email FROM auth.users WHERE email = $1 AND is_active AND deleted_at IS NULL
       ), superseded AS (
         UPDATE auth.account_tokens SET used_at = statement_timestamp()
          WHERE user_id IN (SELECT id FROM target) AND purpose = 'reset_password' AND used_at IS NULL
       ), issued AS (
         INSERT INTO auth.account_tokens (user_id, purpose, token_hash, expires_at)
         SELECT id, 'reset_password', $2, statement_timestamp() + make_interval(secs => $3) FROM target
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
        sealToken(this.deps.outboxKey, token),
        ipaddr.isValid(client.ip) ? client.ip : null,
        client.userAgent?.slice(0, 512) ?? null,
        this.deps.auditEmailHash(normalized),
      ],
    );
    this.deps.mailQueued();
  }

  /**
   * POST password/reset: the new password, every session ended (whoever had the old password is
   * out), the email marked verified (the link proved the mailbox), and a notice.
   */
  async resetPassword(token: string, password: string, client: AccountClient): Promise<void> {
    assertPasswordPolicy(password);
    // Checked before hashing so that made-up tokens cost a lookup, not a bcrypt; spent below.
    const { rows } = await sql(
      this.deps.dataSource,
      `SELECT 1 FROM auth.account_tokens WHERE token_hash = $1 AND purpose = 'reset_password' AND used_at IS NULL AND expires_at > statement_timestamp()`,
      [hashAccountToken(token)],
    );
    if (rows.length === 0) throw linkInvalid();
    const passwordHash = await this.deps.passwordChecks.run(() => this.deps.hasher.hash(password));
    await this.deps.dataSource.transaction(async (manager) => {
      const spent = await spendAccountToken(manager, token, ['reset_password']);
      const { rows: users } = await sql<{ email: string }>(
        manager,
        `UPDATE auth.users SET password_hash = $2, email_verified_at = COALESCE(email_verified_at, statement_timestamp()), updated_at = statement_timestamp()
          WHERE id = $1 RETURNING email`,
        [spent.userId, passwordHash],
      );
      const ended = await revokeUserSessions(manager, spent.userId, 'password_reset');
      await recordEvent(manager, { type: 'password_reset_completed', userId: spent.userId, client, detail: { sessions_ended: ended } });
      await enqueueMail(manager, this.deps.outboxKey, { template: 'password_reset_done', to: users[0]!.email, userId: spent.userId });
    });
    this.deps.mailQueued();
  }

  /**
   * The password check of password change, email change and deletion: throttled with login's
   * counters (OWASP ASVS 2.2.1), so guesses made here and at login add up, and a client that has
   * failed too often on the account gets 429 here as well, even with the right password. A wrong
   * password is an audit event: someone holding the session does not know the password.
   */
  private async checkPassword(principal: Principal, password: string, client: AccountClient, action: PasswordCheckAction): Promise<string> {
    const { rows } = await sql<{ password_hash: string | null; email: string }>(
      this.deps.dataSource,
      `SELECT password_hash, email FROM auth.users WHERE id = $1`,
      [principal.userId],
    );
    const email = rows[0]!.email;
    const ok = await this.deps.passwordChecks.run(async () => {
      await this.deps.loginThrottle.attempt(email, client.ip);
      return this.deps.hasher.verify(password, rows[0]!.password_hash);
    });
    if (!ok) {
      await recordEvent(this.deps.dataSource, { type: 'password_check_failed', userId: principal.userId, sessionId: principal.sessionId, client, detail: { action } });
      throw new AppError('invalid_credentials', 'The password is wrong.');
    }
    await this.deps.loginThrottle.succeeded(email, client.ip);
    return email;
  }

  /** POST password/change: ends every other session of the user, keeps this one, sends a notice. */
  async changePassword(principal: Principal, currentPassword: string, newPassword: string, client: AccountClient): Promise<void> {
    assertPasswordPolicy(newPassword);
    const email = await this.checkPassword(principal, currentPassword, client, 'password_change');
    const passwordHash = await this.deps.passwordChecks.run(() => this.deps.hasher.hash(newPassword));
    await this.deps.dataSource.transaction(async (manager) => {
      await sql(manager, `UPDATE auth.users SET password_hash = $2, updated_at = statement_timestamp() WHERE id = $1`, [principal.userId, passwordHash]);
      const ended = await revokeOtherSessions(manager, principal.userId, principal.sessionId, 'password_changed');
      await recordEvent(manager, { type: 'password_changed', userId: principal.userId, sessionId: principal.sessionId, client, detail: { sessions_ended: ended } });
      // A reset link asked for before the change must not undo it.
      await sql(manager, `UPDATE auth.account_tokens SET used_at = statement_timestamp() WHERE user_id = $1 AND purpose = 'reset_password' AND used_at IS NULL`, [principal.userId]);
      await enqueueMail(manager, this.deps.outboxKey, { template: 'password_changed', to: email, userId: principal.userId });
    });
    this.deps.mailQueued();
  }

  /**
   * POST email/change: a confirmation link to the new address and a notice to the current one.
   * The address changes only when the link is used (verifyEmail), and only if still free then.
   */
  async requestEmailChange(principal: Principal, newEmail: string, password: string, client: AccountClient): Promise<void> {
    const target = normalizeEmail(newEmail);
    const current = await this.checkPassword(principal, password, client, 'email_change');
    if (target === current) {
      throw new AppError('invalid_request', 'The request body is invalid: new_email: this is already the account\'s address.', {
        fields: { invalid_params: [{ name: 'new_email', reason: 'same as the current address' }] },
      });
    }
    await this.deps.throttle.attempt(target, client.ip);
    // Registration answers 409 for a taken address too (docs/api.md); the password was needed to get here.
    const { rows } = await sql(this.deps.dataSource, `SELECT 1 FROM auth.users WHERE email = $1`, [target]);
    if (rows.length > 0) throw emailTaken();
    const ttl = this.deps.mail.emailVerificationTtlSeconds;
    await this.deps.dataSource.transaction(async (manager) => {
      const token = await issueAccountToken(manager, principal.userId, 'change_email', ttl, target);
      await enqueueMail(manager, this.deps.outboxKey, { template: 'confirm_email_change', to: target, userId: principal.userId, token, params: { valid_minutes: minutes(ttl), new_email: target } });
      await enqueueMail(manager, this.deps.outboxKey, { template: 'email_change_requested', to: current, userId: principal.userId, params: { new_email: target } });
    });
    this.deps.mailQueued();
  }

  /** PATCH me: the profile fields a user may change themselves. */
  async updateProfile(principal: Principal, changes: { display_name?: string | null | undefined }): Promise<PublicUser> {
    const { rows } = await sql<User>(
      this.deps.dataSource,
      `UPDATE auth.users SET display_name = CASE WHEN $2 THEN $3 ELSE display_name END, updated_at = statement_timestamp()
        WHERE id = $1
        RETURNING id, email, role, display_name AS "displayName", is_active AS "isActive", email_verified_at AS "emailVerifiedAt", created_at AS "createdAt"`,
      [principal.userId, changes.display_name !== undefined, changes.display_name ?? null],
    );
    return publicUser(rows[0]!);
  }

  /**
   * POST me/developer: a player with a verified email becomes a developer. Answers an access
   * token for the same session carrying the new role; the refresh token stays valid (later
   * refreshes read the role from the database).
   */
  async becomeDeveloper(principal: Principal): Promise<{ accessToken: string; expiresIn: number }> {
    if (principal.role === 'admin') throw new AppError('role_not_allowed', 'An admin keeps the admin role; admins change roles with PATCH users/{id}.');
    if (!principal.user.email_verified) throw new AppError('email_not_verified', 'Verify your email address first (POST verify-email/resend sends a new link).');
    await sql(this.deps.dataSource, `UPDATE auth.users SET role = 'developer', updated_at = statement_timestamp() WHERE id = $1 AND role = 'player'`, [principal.userId]);
    return this.deps.accessToken({ userId: principal.userId, sessionId: principal.sessionId, role: 'developer', emailVerified: true });
  }

  /**
   * DELETE me: the row stays (cats, installations and logs point at it) but is anonymised: the
   * email becomes deleted-<id>@deleted.invalid (the real one is free for a new registration),
   * password hash and display name are cleared, is_active false and deleted_at set, so it can
   * never log in again. Every session and mail link ends; mail still queued for it is dropped and
   * the outbox rows lose the address.
   */
  async deleteAccount(principal: Principal, password: string, client: AccountClient): Promise<void> {
    await this.checkPassword(principal, password, client, 'account_deletion');
    await this.deps.dataSource.transaction(async (manager) => {
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
}
