import type { EntityManager } from 'typeorm';
import { AppError } from '../../errors/app-error';
import { recordEvent } from '../audit/audit-events';
import type { Principal } from '../principal';
import { sql } from '../sql';
import type { AccountClient, AccountServiceDeps } from './account-deps';

/** What a password was asked for, in `detail.action` of password_check_failed. */
export type PasswordCheckAction = 'password_change' | 'email_change' | 'account_deletion';

/** The account as it was when its password was checked: what the write must still find. */
export interface CheckedAccount {
  email: string;
  /** The security stamp read with the hash that was verified. */
  stamp: string;
}

/**
 * The password check of password change, email change and deletion: throttled with login's
 * counters (OWASP ASVS 2.2.1), so guesses made here and at login add up, and a client that has
 * failed too often on the account gets 429 here as well, even with the right password. A wrong
 * password is an audit event: someone holding the session does not know the password.
 *
 * The check takes a bcrypt's time, during which the account may change (a reset may end this
 * session): the caller's write transaction must begin with lockCheckedAccount.
 */
export async function checkPassword(
  deps: AccountServiceDeps,
  principal: Principal,
  password: string,
  client: AccountClient,
  action: PasswordCheckAction,
): Promise<CheckedAccount> {
  const { rows } = await sql<{ password_hash: string | null; email: string; security_stamp: string }>(
    deps.dataSource,
    `SELECT password_hash, email, security_stamp FROM auth.users WHERE id = $1`,
    [principal.userId],
  );
  const { email, password_hash: hash, security_stamp: stamp } = rows[0]!;
  const ok = await deps.passwordChecks.run(async () => {
    await deps.loginThrottle.attempt(email, client.ip);
    return deps.hasher.verify(password, hash);
  }, client);
  if (!ok) {
    deps.passwordChecks.failed(client);
    await recordEvent(deps.dataSource, { type: 'password_check_failed', userId: principal.userId, sessionId: principal.sessionId, client, detail: { action } });
    throw new AppError('invalid_credentials', 'The password is wrong.');
  }
  await deps.loginThrottle.succeeded(email, client.ip);
  return { email, stamp };
}

/** 401: the session or the account changed between the password check and the write; nothing was written. */
export function staleSession(): AppError {
  return new AppError(
    'invalid_token',
    'This session has ended, or the account\'s password or email changed while the request was checked; nothing was changed. Sign in again.',
  );
}

/**
 * The start of the write transaction of a flow that checked the password (issue 22 H2): locks the
 * user's row, then (in a statement of its own, so it reads what committed while it waited)
 * re-checks that the session is still live, and compares the security stamp with the one read
 * with the verified hash. A reset or a change that committed meanwhile ended the session or moved
 * the stamp: 401 staleSession, and the caller's transaction rolls back with nothing written.
 * Every change this flow then makes is a compare-and-swap on what was verified.
 */
export async function lockCheckedAccount(manager: EntityManager, principal: Principal, checked: CheckedAccount): Promise<void> {
  const { rows } = await sql<{ security_stamp: string }>(
    manager,
    `SELECT security_stamp FROM auth.users WHERE id = $1 AND is_active AND deleted_at IS NULL FOR UPDATE`,
    [principal.userId],
  );
  if (rows[0]?.security_stamp !== checked.stamp) throw staleSession();
  const live = await sql(
    manager,
    `SELECT 1 FROM auth.sessions WHERE id = $1 AND user_id = $2 AND revoked_at IS NULL AND expires_at > statement_timestamp()`,
    [principal.sessionId, principal.userId],
  );
  if (live.rows.length === 0) throw staleSession();
}
