import type { RateLimiterPostgres, RateLimiterRes } from 'rate-limiter-flexible';
import { clientNetworkKeys, type Ipv6Network } from './client-address';
import { consumeAll, type rateLimiterFactory } from './rate-limits';

export interface AddressBudgetSettings {
  ipv6PrefixLength: number;
  /** Wider IPv6 networks and their multiples of the budget (CLIENT_IPV6_NETWORK_BUDGETS). */
  ipv6Networks: readonly Ipv6Network[];
}

/** A per-client-address limit whose wider IPv6 networks share multiples of it. */
export interface AddressBudget {
  /** The (counter, key) pairs of this address, most specific first, for consumeAll. */
  pairs(ip: string): [RateLimiterPostgres, string][];
  /**
   * Consumes a point at each level, most specific first, stopping at the first that is over:
   * a client over its own limit does not use up its network's budget. Throws rate_limited.
   */
  consume(ip: string, what: string): Promise<RateLimiterRes[]>;
  /** Gives one point back at every level (a correct password). */
  reward(ip: string): Promise<void>;
}

/**
 * `points` per client address per window; each wider IPv6 network gets `factor` times `points`
 * (issue 22 M3: hierarchical prefix budgets). Counters live in the shared rate_limits table.
 */
export function addressBudget(
  limiter: ReturnType<typeof rateLimiterFactory>,
  name: string,
  points: number,
  windowSeconds: number,
  settings: AddressBudgetSettings,
): AddressBudget {
  const byFactor = new Map<number, RateLimiterPostgres>();
  const counter = (factor: number) => {
    let found = byFactor.get(factor);
    if (!found) {
      found = limiter(name, points * factor, windowSeconds);
      byFactor.set(factor, found);
    }
    return found;
  };
  const pairs = (ip: string): [RateLimiterPostgres, string][] =>
    clientNetworkKeys(ip, settings.ipv6PrefixLength, settings.ipv6Networks).map(({ key, factor }) => [counter(factor), key]);
  return {
    pairs,
    async consume(ip, what) {
      const results: RateLimiterRes[] = [];
      for (const pair of pairs(ip)) results.push(...(await consumeAll(what, [pair])));
      return results;
    },
    async reward(ip) {
      await Promise.all(pairs(ip).map(([c, key]) => c.reward(key, 1)));
    },
  };
}
