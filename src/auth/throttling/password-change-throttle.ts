import type { DataSource } from 'typeorm';
import { consumeAll, rateLimiterFactory } from './rate-limits';

export interface PasswordChangeThrottle {
  /** Counts a password change of this account (its password already checked); throws rate_limited over the limit. */
  attempt(userId: string): Promise<void>;
}

/**
 * Password changes per account per window (issue 22 H2). Each change ends the account's other
 * sessions and its reset links; a script holding a session and the password could otherwise
 * change it in a loop and cancel every reset link the owner asks for.
 */
export function createPasswordChangeThrottle(dataSource: DataSource, settings: { maxPerAccount: number; windowSeconds: number }): PasswordChangeThrottle {
  const perAccount = rateLimiterFactory(dataSource)('password_change', settings.maxPerAccount, settings.windowSeconds);
  return {
    async attempt(userId) {
      await consumeAll('Too many password changes for this account', [[perAccount, userId]]);
    },
  };
}
