import type { DataSource } from 'typeorm';
import type { Config } from '../../config/config';
import type { User } from '../../db/entities/index';
import type { Logger } from '../../logging/logger';
import type { AuditClient } from '../audit/audit-events';
import type { RepeatGuard } from '../audit/repeat-guard';
import type { LoginThrottle } from '../throttling/login-throttle';
import type { MailThrottle } from '../throttling/mail-throttle';
import type { PasswordChangeThrottle } from '../throttling/password-change-throttle';
import type { PasswordCheckGate } from '../throttling/password-check-gate';
import type { PasswordHasher } from './passwords';
import type { BreachedPasswordCheck } from '../abuse/breached-passwords';

/** What the account flows share: the database, mail settings and outbox key, the hasher and the throttles. */
export interface AccountServiceDeps {
  dataSource: DataSource;
  mail: Config['mail'];
  hasher: PasswordHasher;
  /** Bounds bcrypt work in flight (the login gate): these flows check or hash passwords too. */
  passwordChecks: PasswordCheckGate;
  /**
   * The login throttle: a password checked here counts against the account like a login, so a
   * stolen access token gets no more guesses at the password than the login form gives.
   */
  loginThrottle: LoginThrottle;
  throttle: MailThrottle;
  /** Password changes per account (issue 22 H2). */
  passwordChanges: PasswordChangeThrottle;
  /** Bounds link_token_refused events per subject and address (issue 22 L7). */
  repeatGuard: RepeatGuard;
  /** EMAIL_REFUSED_TLDS: an email change to these is refused like a registration. */
  refusedEmailTlds: readonly string[];
  /** outboxKey(TOKEN_SECRET). */
  outboxKey: Buffer;
  /** Called after a commit that queued mail (the local sender looks at once). */
  mailQueued: () => void;
  /** Signs an access token for a session that stays as it is. */
  accessToken: (subject: { userId: string; sessionId: string; role: User['role']; emailVerified: boolean }) => { accessToken: string; expiresIn: number };
  /** hashEmailForAudit(TOKEN_SECRET, email): how an address that may not be an account is stored in the audit log. */
  auditEmailHash: (normalizedEmail: string) => string;
  logger?: Logger;
  /** Refuses a new password found in data breaches (abuse/breached-passwords.ts, issue 30). */
  breachedPasswords?: BreachedPasswordCheck;
}

/** The client of a request, for the throttle (ip) and the audit log. */
export type AccountClient = AuditClient & { ip: string };

/** Whole minutes of a TTL, for the mail text. */
export const minutes = (seconds: number) => Math.round(seconds / 60);

/** A unique violation of `constraint`, from the driver or TypeORM's wrapper. */
export function isUniqueViolation(err: unknown, constraint: string): boolean {
  const e = err as { code?: string; constraint?: string; driverError?: { code?: string; constraint?: string } };
  const d = e.driverError ?? e;
  return d.code === '23505' && d.constraint === constraint;
}
