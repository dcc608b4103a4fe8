import { AppError } from '../../errors/app-error';
import { recordEvent } from '../audit/audit-events';
import type { Principal } from '../principal';
import { sql } from '../sql';
import type { AccountClient, AccountServiceDeps } from './account-deps';

/** What a password was asked for, in `detail.action` of password_check_failed. */
export type PasswordCheckAction = 'password_change' | 'email_change' | 'account_deletion';

/**
 * The password check of password change, email change and deletion: throttled with login's
 * counters (OWASP ASVS 2.2.1), so guesses made here and at login add up, and a client that has
 * failed too often on the account gets 429 here as well, even with the right password. A wrong
 * password is an audit event: someone holding the session does not know the password.
 */
export async function checkPassword(
  deps: AccountServiceDeps,
  principal: Principal,
  password: string,
  client: AccountClient,
  action: PasswordCheckAction,
): Promise<string> {
  const { rows } = await sql<{ password_hash: string | null; email: string }>(
    deps.dataSource,
    `SELECT password_hash, email FROM auth.users WHERE id = $1`,
    [principal.userId],
  );
  const email = rows[0]!.email;
  const ok = await deps.passwordChecks.run(async () => {
    await deps.loginThrottle.attempt(email, client.ip);
    return deps.hasher.verify(password, rows[0]!.password_hash);
  });
  if (!ok) {
    await recordEvent(deps.dataSource, { type: 'password_check_failed', userId: principal.userId, sessionId: principal.sessionId, client, detail: { action } });
    throw new AppError('invalid_credentials', 'The password is wrong.');
  }
  await deps.loginThrottle.succeeded(email, client.ip);
  return email;
}
