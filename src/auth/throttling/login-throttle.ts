import { createHash } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { addressBudget } from './address-budget';
import { clientAddressKey, type Ipv6Network } from './client-address';
import { consumeAll, isLimitReached, rateLimited, rateLimiterFactory } from './rate-limits';

export { RATE_LIMIT_TABLE } from './rate-limits';

export interface LoginThrottleSettings {
  /** Failures allowed per account from one client address within the window (then 429 for that address only). */
  maxFailuresPerAccount: number;
  /** Failures allowed per client address across all accounts (credential stuffing). */
  maxFailuresPerIp: number;
  windowSeconds: number;
  /** Account-wide failures within the window after which clients that have failed on it are paced. */
  accountBackoffAfter: number;
  /** The pace: one attempt per this many seconds, shared by the account's failing clients. */
  accountBackoffSeconds: number;
  /** IPv6 client addresses are keyed by this prefix length (clientAddressKey). */
  ipv6PrefixLength: number;
  /** Wider IPv6 networks sharing multiples of maxFailuresPerIp (issue 22 M3). */
  ipv6Networks: readonly Ipv6Network[];
}

export interface LoginThrottle {
  /**
   * Counts a login attempt before the password is checked; throws rate_limited (with
   * Retry-After) when this client may not try now.
   */
  attempt(email: string, ip: string): Promise<void>;
  /** A correct password: this client's failures on the account are forgotten and the attempt is not held against it. */
  succeeded(email: string, ip: string): Promise<void>;
  /**
   * Counts nothing: how suspicious the next attempt looks, for a CAPTCHA (issue 30): this client's
   * failures on the account in the window, and whether the account is under the spread attack
   * that paces its failing clients (more than `accountBackoffAfter` failures from anywhere).
   */
  suspicion(email: string, ip: string): Promise<{ clientFailures: number; accountUnderAttack: boolean }>;
}

/** Large enough never to be reached: the account-wide counter only counts, it never refuses by itself. */
const UNLIMITED = 2_000_000_000;

/**
 * Failed-login throttling in PostgreSQL, shared by every instance, following OWASP's advice
 * against lockout as a denial of service (Authentication Cheat Sheet, "Account lockout"):
 *
 * - per account AND client address: after `maxFailuresPerAccount` failures that address gets 429
 *   on that account, even with the right password. Other addresses are not affected, so a correct
 *   password from a client that has not failed is let in while an attack runs elsewhere.
 * - per client address (IPv6 by prefix): `maxFailuresPerIp` failures across all accounts; each
 *   wider IPv6 network (a /56, a /48) a multiple of it, so spreading over /64s does not multiply it.
 * - per account, softer: once the account has `accountBackoffAfter` failures in the window, the
 *   clients that have already failed on it share one attempt per `accountBackoffSeconds`, which
 *   bounds an attack spread over many addresses without ever locking out a clean client.
 *
 * The account key is a hash of the normalised email: keys stay short whatever the address, and
 * unknown emails are throttled exactly like known ones (no enumeration through 429s).
 */
export function createLoginThrottle(dataSource: DataSource, settings: LoginThrottleSettings): LoginThrottle {
  const limiter = rateLimiterFactory(dataSource);
  const window = settings.windowSeconds;
  const perIp = addressBudget(limiter, 'login_ip', settings.maxFailuresPerIp, window, settings);
  const perAccountAndIp = limiter('login_account_ip', settings.maxFailuresPerAccount, window);
  const perAccount = limiter('login_account', UNLIMITED, window);
  const accountPace = limiter('login_account_pace', 1, settings.accountBackoffSeconds);
  const accountKey = (email: string) => createHash('sha256').update(email).digest('base64url');
  const keys = (email: string, ip: string) => {
    const address = clientAddressKey(ip, settings.ipv6PrefixLength);
    const account = accountKey(email);
    return { address, account, pair: `${account}:${address}` };
  };

  return {
    async attempt(email, ip) {
      const k = keys(email, ip);
      const [pair, account] = await consumeAll('Too many failed logins', [
        [perAccountAndIp, k.pair],
        [perAccount, k.account],
        ...perIp.pairs(ip),
      ]);
      const clientHasFailed = pair!.consumedPoints > 1;
      if (clientHasFailed && account!.consumedPoints > settings.accountBackoffAfter) {
        try {
          await accountPace.consume(k.account);
        } catch (err) {
          if (!isLimitReached(err)) throw err;
          throw rateLimited('This account is receiving many failed logins', err.msBeforeNext);
        }
      }
    },
    async succeeded(email, ip) {
      const k = keys(email, ip);
      await Promise.all([perAccountAndIp.delete(k.pair), perIp.reward(ip), perAccount.reward(k.account, 1)]);
    },
    async suspicion(email, ip) {
      const k = keys(email, ip);
      const [pair, account] = await Promise.all([perAccountAndIp.get(k.pair), perAccount.get(k.account)]);
      return { clientFailures: pair?.consumedPoints ?? 0, accountUnderAttack: (account?.consumedPoints ?? 0) > settings.accountBackoffAfter };
    },
  };
}
