/**
 * A bounded in-memory deny-list of revoked sessions and subjects (issue 29), fed by Shared Signals
 * events (events.ts) and asked by the verifiers after a token's signature and claims check out.
 *
 * - a session (`sid`) is refused whatever its tokens' `iat`;
 * - a subject (`sub`: a user or a service client) is refused for tokens issued at or before the
 *   revocation (`iat <= revokedAt`, both in whole seconds): tokens issued after, from a new sign-in,
 *   pass. A token issued in the same second as the revocation is refused too (at most a second).
 *
 * An entry is kept only while a token it refuses could still be valid: until the revocation plus
 * the longest access-token lifetime (`tokenLifetimeSeconds`, the auth service's
 * ACCESS_TOKEN_TTL_SECONDS). At most `maxEntries` are kept; past that the one that expires first is
 * dropped (its tokens are the closest to expiring anyway).
 */
export interface RevocationListOptions {
  /** The longest lifetime of the tokens checked against this list. Default 900 (15 minutes). */
  tokenLifetimeSeconds?: number;
  /** Default 100 000 entries (a few MiB). */
  maxEntries?: number;
  /** For tests: the clock, in milliseconds. */
  now?: () => number;
}

export interface RevocationList {
  /** Refuses every token of session `sid` until `revokedAt` (seconds) + the token lifetime. */
  revokeSession(sid: string, revokedAt: number): void;
  /** Refuses tokens of `sub` issued at or before `revokedAt` (seconds). */
  revokeSubject(sub: string, revokedAt: number): void;
  /** Whether a verified token is refused. */
  isRevoked(claims: { sub: string; sid?: string | undefined; iat: number }): boolean;
  readonly size: number;
}

interface Entry {
  revokedAt: number;
  expiresAt: number;
}

export function createRevocationList(options: RevocationListOptions = {}): RevocationList {
  const lifetime = options.tokenLifetimeSeconds ?? 900;
  const max = options.maxEntries ?? 100_000;
  const now = options.now ?? Date.now;
  // Map keeps insertion order; entries are re-inserted when updated, so the first is the oldest.
  const entries = new Map<string, Entry>();

  /** Drops expired entries from the front, and the first ones while over the bound. */
  function sweep(): void {
    const seconds = now() / 1000;
    for (const [key, entry] of entries) {
      if (entries.size <= max && entry.expiresAt > seconds) break;
      entries.delete(key);
    }
  }

  function put(key: string, revokedAt: number): void {
    const previous = entries.get(key);
    const latest = Math.max(revokedAt, previous?.revokedAt ?? -Infinity);
    const expiresAt = latest + lifetime;
    if (expiresAt <= now() / 1000) return;
    entries.delete(key);
    entries.set(key, { revokedAt: latest, expiresAt });
    sweep();
  }

  function live(key: string): Entry | undefined {
    const entry = entries.get(key);
    if (entry && entry.expiresAt <= now() / 1000) {
      entries.delete(key);
      return undefined;
    }
    return entry;
  }

  return {
    revokeSession: (sid, revokedAt) => put(`sid:${sid}`, revokedAt),
    revokeSubject: (sub, revokedAt) => put(`sub:${sub}`, revokedAt),
    isRevoked(claims) {
      if (claims.sid !== undefined && live(`sid:${claims.sid}`)) return true;
      const subject = live(`sub:${claims.sub}`);
      return subject !== undefined && claims.iat <= subject.revokedAt;
    },
    get size() {
      return entries.size;
    },
  };
}
