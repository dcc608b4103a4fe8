import type { DataSource } from 'typeorm';
import { clientAddressKey } from './client-address';
import { consumeAll, rateLimiterFactory } from './rate-limits';

export interface RegistrationThrottleSettings {
  maxPerIp: number;
  maxGlobal: number;
  windowSeconds: number;
  ipv6PrefixLength: number;
}

export interface RegistrationThrottle {
  /** Counts a registration attempt, whatever its outcome; throws rate_limited (with Retry-After) over either limit. */
  attempt(ip: string): Promise<void>;
}

/**
 * Registration attempts per client address (IPv6 by prefix) and for the whole service, in
 * PostgreSQL like the login throttle so every instance shares the counts. Every attempt counts,
 * a 409 email_taken as much as a 201: that is what keeps registration from being a fast way to
 * test which emails have accounts (docs/api.md, "Registration and account enumeration").
 */
export function createRegistrationThrottle(dataSource: DataSource, settings: RegistrationThrottleSettings): RegistrationThrottle {
  const limiter = rateLimiterFactory(dataSource);
  const perIp = limiter('register_ip', settings.maxPerIp, settings.windowSeconds);
  const global = limiter('register_all', settings.maxGlobal, settings.windowSeconds);
  return {
    async attempt(ip) {
      // One after the other: an address over its own limit must not use up everyone's budget.
      await consumeAll('Too many registrations from this address', [[perIp, clientAddressKey(ip, settings.ipv6PrefixLength)]]);
      await consumeAll('Too many registrations right now', [[global, 'all']]);
    },
  };
}
