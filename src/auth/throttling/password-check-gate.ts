import { clientNetworkKeys, type Ipv6Network } from './client-address';
import { busy, type WorkGate } from './work-gate';

/** Who asks for a password check: the address the throttles key it by. */
export interface GateClient {
  ip: string;
}

export interface PasswordCheckGate extends WorkGate {
  /**
   * Runs a password check for `client` if the gate, the client's share of it and (for a client
   * with recent wrong passwords) the unreserved part all have room; otherwise 503 server_busy at
   * once. Without a client only the total bound applies.
   */
  run<T>(work: () => Promise<T>, client?: GateClient): Promise<T>;
  /** A wrong password from this client: for a while it competes for the unreserved slots only. */
  failed(client: GateClient): void;
}

export interface PasswordCheckGateSettings {
  /** LOGIN_MAX_CHECKS_IN_FLIGHT. */
  limit: number;
  /** LOGIN_MAX_CHECKS_PER_PREFIX: per IPv4 address and per IPv6 network level. */
  perPrefix: number;
  /** LOGIN_CHECKS_RESERVED: slots only clients with no recent failure may take (at most limit - 1: one is always left to the others). */
  reserved: number;
  /** How long a wrong password marks its client's prefixes. */
  failureMemoryMs: number;
  ipv6PrefixLength: number;
  ipv6Networks: readonly Ipv6Network[];
  /** Bound on remembered prefixes (oldest forgotten first), so a spray of addresses cannot grow memory. */
  maxRemembered?: number;
}

/**
 * The bound on bcrypt work in flight for logins and the account flows' password checks, shared
 * fairly (issue 22 M3). A plain gate let one /56 keep all 32 slots busy with wrong guesses, and
 * every other client got 503. Here:
 * - each client prefix (an IPv4 address; an IPv6 /64, its /56 and its /48) has at most
 *   `perPrefix` checks in flight, so one network never holds more than that;
 * - `reserved` slots are kept for clients whose prefixes have had no wrong password within
 *   `failureMemoryMs`, so a clean client finds room even while attackers fill the rest.
 * The memory of failures is per instance (like the gate itself), bounded, and forgets the oldest.
 */
export function createPasswordCheckGate(settings: PasswordCheckGateSettings, what = 'logins'): PasswordCheckGate {
  const maxRemembered = settings.maxRemembered ?? 10_000;
  // A client that mistyped its password once still gets a slot: the reservation never takes the whole gate.
  const uncleanLimit = Math.max(1, settings.limit - settings.reserved);
  let inFlight = 0;
  let inFlightUnclean = 0;
  const perKey = new Map<string, number>();
  const failures = new Map<string, number>();
  const keysOf = (client: GateClient) => clientNetworkKeys(client.ip, settings.ipv6PrefixLength, settings.ipv6Networks).map((k) => k.key);
  const recentlyFailed = (key: string, now: number) => {
    const until = failures.get(key);
    if (until === undefined) return false;
    if (until > now) return true;
    failures.delete(key);
    return false;
  };

  return {
    get inFlight() {
      return inFlight;
    },
    async run(work, client) {
      if (inFlight >= settings.limit) throw busy(what);
      const keys = client ? keysOf(client) : [];
      const now = Date.now();
      const unclean = keys.some((k) => recentlyFailed(k, now));
      if (unclean && inFlightUnclean >= uncleanLimit) throw busy(what);
      if (keys.some((k) => (perKey.get(k) ?? 0) >= settings.perPrefix)) throw busy(what);
      inFlight += 1;
      if (unclean) inFlightUnclean += 1;
      for (const k of keys) perKey.set(k, (perKey.get(k) ?? 0) + 1);
      try {
        return await work();
      } finally {
        inFlight -= 1;
        if (unclean) inFlightUnclean -= 1;
        for (const k of keys) {
          const n = perKey.get(k)! - 1;
          if (n === 0) perKey.delete(k);
          else perKey.set(k, n);
        }
      }
    },
    failed(client) {
      const until = Date.now() + settings.failureMemoryMs;
      for (const k of keysOf(client)) {
        failures.delete(k); // re-inserted last: the Map's order is the forgetting order
        failures.set(k, until);
      }
      while (failures.size > maxRemembered) failures.delete(failures.keys().next().value!);
    },
  };
}
