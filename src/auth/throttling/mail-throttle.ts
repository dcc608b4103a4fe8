import { createHash } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { clientAddressKey } from './client-address';
import { consumeAll, rateLimiterFactory } from './rate-limits';

export interface MailThrottleSettings {
  maxPerAddress: number;
  maxPerIp: number;
  windowSeconds: number;
  ipv6PrefixLength: number;
}

export interface MailThrottle {
  /**
   * Counts a request that may send mail (forgot password, resend verification, email change)
   * against the client address and the email address; throws rate_limited naming the limit, with
   * Retry-After. Counted whether or not a mail is actually sent, so the answer says nothing about
   * whether the address has an account.
   */
  attempt(email: string, ip: string): Promise<void>;
}

/** Per-address and per-IP mail limits in rate-limits.ts's shared PostgreSQL counters, so every instance sees the same counts. */
export function createMailThrottle(dataSource: DataSource, settings: MailThrottleSettings): MailThrottle {
  const limiter = rateLimiterFactory(dataSource);
  const perIp = limiter('mail_ip', settings.maxPerIp, settings.windowSeconds);
  const perAddress = limiter('mail_to', settings.maxPerAddress, settings.windowSeconds);
  return {
    async attempt(email, ip) {
      // The client first: one client hammering many addresses must not use up their budgets.
      await consumeAll('Too many mail requests from this client address', [[perIp, clientAddressKey(ip, settings.ipv6PrefixLength)]]);
      const addressKey = createHash('sha256').update(email.trim().toLowerCase()).digest('base64url');
      await consumeAll('Too many mails to this email address', [[perAddress, addressKey]]);
    },
  };
}
