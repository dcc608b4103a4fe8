import type { DataSource } from 'typeorm';
import { addressBudget } from './address-budget';
import type { Ipv6Network } from './client-address';
import { rateLimited, rateLimiterFactory } from './rate-limits';

export interface RegistrationThrottleSettings {
  maxPerIp: number;
  /** The soft global threshold: above it registration stays open, tighter (see below). */
  maxGlobal: number;
  windowSeconds: number;
  ipv6PrefixLength: number;
  /** Wider IPv6 networks sharing multiples of maxPerIp (issue 22 M3). */
  ipv6Networks: readonly Ipv6Network[];
}

export interface RegistrationThrottle {
  /**
   * Counts a registration attempt, whatever its outcome; throws rate_limited (with Retry-After)
   * over a client limit. Resolves to whether the service is over its global threshold (a surge),
   * for monitoring.
   */
  attempt(ip: string): Promise<{ surge: boolean }>;
}

/** Large enough never to be reached: the global counter only counts. */
const UNLIMITED = 2_000_000_000;

/**
 * Registration attempts per client address (IPv6 by prefix, and each wider network by a multiple,
 * issue 22 M3) and for the whole service, in PostgreSQL like the login throttle so every instance
 * shares the counts. Every attempt counts, a 409 email_taken as much as a 201: that is what keeps
 * registration from being a fast way to test which emails have accounts (docs/api.md,
 * "Registration and account enumeration").
 *
 * The global count is a soft signal, not a closure: a hard cap let one /56 shut registration for
 * everyone for the whole window. Past REGISTER_MAX_GLOBAL in the window, registration stays open
 * but each client address gets only its first attempt of the window, and the caller reports the
 * surge (a metric and a log line) so an operator can look.
 */
export function createRegistrationThrottle(dataSource: DataSource, settings: RegistrationThrottleSettings): RegistrationThrottle {
  const limiter = rateLimiterFactory(dataSource);
  const perAddress = addressBudget(limiter, 'register_ip', settings.maxPerIp, settings.windowSeconds, settings);
  const global = limiter('register_all', UNLIMITED, settings.windowSeconds);
  return {
    async attempt(ip) {
      // One level after the other: an address over its own limit must not use up its network's budget or the count.
      const [own] = await perAddress.consume(ip, 'Too many registrations from this network');
      const all = await global.consume('all');
      const surge = all.consumedPoints > settings.maxGlobal;
      if (surge && own!.consumedPoints > 1) {
        throw rateLimited('Registrations are very busy right now: one per address for the moment', Math.min(own!.msBeforeNext, all.msBeforeNext));
      }
      return { surge };
    },
  };
}
