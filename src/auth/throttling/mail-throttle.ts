import { createHash } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { addressBudget } from './address-budget';
import { clientAddressKey, type Ipv6Network } from './client-address';
import { consumeAll, rateLimiterFactory } from './rate-limits';

export interface MailThrottleSettings {
  /** Mails to one address asked for by one client address, per window. */
  maxPerAddress: number;
  /** Mails to one address from every client together, per window: the ceiling. */
  maxPerAddressTotal: number;
  /** At most one mail to an address per this many seconds (0: no debounce). */
  addressDebounceSeconds: number;
  maxPerIp: number;
  windowSeconds: number;
  ipv6PrefixLength: number;
  ipv6Networks: readonly Ipv6Network[];
}

export interface MailThrottle {
  /**
   * Counts a request that may send mail (forgot password, email change) against the client
   * address and the email address; throws rate_limited naming the limit, with Retry-After.
   * Counted whether or not a mail is actually sent, so the answer says nothing about whether the
   * address has an account.
   */
  attempt(email: string, ip: string): Promise<void>;
  /**
   * The signed-in owner asking for mail to their own address (verification resend): counted per
   * account, never against the budgets strangers can spend on the address.
   */
  attemptAsOwner(userId: string, ip: string): Promise<void>;
}

const hashed = (value: string) => createHash('sha256').update(value).digest('base64url');

/**
 * Mail limits in rate-limits.ts's shared PostgreSQL counters (issue 22 M4). A plain per-address
 * budget let anyone spend a victim's: five forgot-password requests from elsewhere and the owner
 * got 429 on forgot and resend for an hour. Now the budget of an address is per (address, client
 * address), so strangers spend their own; a larger ceiling per address and a short debounce still
 * keep a crowd of clients from flooding one mailbox; and the signed-in owner's resend is counted
 * against the account alone.
 */
export function createMailThrottle(dataSource: DataSource, settings: MailThrottleSettings): MailThrottle {
  const limiter = rateLimiterFactory(dataSource);
  const window = settings.windowSeconds;
  const perIp = addressBudget(limiter, 'mail_ip', settings.maxPerIp, window, settings);
  const perAddressAndClient = limiter('mail_to_client', settings.maxPerAddress, window);
  const perAddress = limiter('mail_to', settings.maxPerAddressTotal, window);
  const debounce = settings.addressDebounceSeconds > 0 ? limiter('mail_to_debounce', 1, settings.addressDebounceSeconds) : undefined;
  const perOwner = limiter('mail_owner', settings.maxPerAddress, window);
  return {
    async attempt(email, ip) {
      // The client first: one client hammering many addresses must not use up their budgets.
      await perIp.consume(ip, 'Too many mail requests from this client address');
      const address = hashed(email.trim().toLowerCase());
      await consumeAll('Too many mails to this email address from this client address', [[perAddressAndClient, `${address}:${clientAddressKey(ip, settings.ipv6PrefixLength)}`]]);
      if (debounce) await consumeAll('A mail to this email address was just sent', [[debounce, address]]);
      await consumeAll('Too many mails to this email address', [[perAddress, address]]);
    },
    async attemptAsOwner(userId, ip) {
      await perIp.consume(ip, 'Too many mail requests from this client address');
      await consumeAll('Too many mails asked for by this account', [[perOwner, userId]]);
    },
  };
}
