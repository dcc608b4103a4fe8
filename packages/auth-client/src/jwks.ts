import { createPublicKey, type JsonWebKey, type KeyObject } from 'node:crypto';
import { AuthClientError } from './errors';

export interface JwksOptions {
  /** e.g. https://auth.cathouse.example/.well-known/jwks.json */
  jwksUri: string;
  /** How long fetched keys are trusted before the set is fetched again. Default 10 minutes. */
  cacheMaxAgeMs?: number;
  /**
   * The least time between two fetches caused by unknown `kid`s. Without it, a stream of tokens
   * with made-up kids would make every request a fetch to the auth service. Default 30 s.
   */
  minRefetchIntervalMs?: number;
  /**
   * After a failed fetch, the least time before the next one. Until a fetch succeeds, a token
   * whose key is not known is answered auth_unavailable (503), never invalid_token (401):
   * frontends log the user out on 401. Default 1 s.
   */
  retryAfterFailureMs?: number;
  /** Per-fetch timeout. Default 5 s. */
  timeoutMs?: number;
  /** For tests and instrumentation; the platform fetch by default. */
  fetch?: typeof fetch;
}

export interface JwksClient {
  /** The ES256 public key for `kid`, fetching the set if the kid is new (at most once per interval). */
  getKey(kid: string): Promise<KeyObject>;
  /** Number of JWKS fetches made, for monitoring. */
  readonly fetches: number;
}

interface Jwk extends JsonWebKey {
  kid?: string;
  alg?: string;
  use?: string;
}

/** A cached view of the auth service's JWKS that only ever holds ES256 signing keys. */
export function createJwksClient(options: JwksOptions): JwksClient {
  const cacheMaxAgeMs = options.cacheMaxAgeMs ?? 10 * 60_000;
  const minRefetchIntervalMs = options.minRefetchIntervalMs ?? 30_000;
  const timeoutMs = options.timeoutMs ?? 5_000;
  const retryAfterFailureMs = options.retryAfterFailureMs ?? 1_000;
  const doFetch = options.fetch ?? fetch;

  let keys = new Map<string, KeyObject>();
  let fetchedAt = -Infinity;
  let inFlight: Promise<void> | undefined;
  let fetches = 0;
  /** The outage error of the last fetch, until a fetch succeeds. */
  let outage: AuthClientError | undefined;

  async function load(): Promise<void> {
    fetches += 1;
    let body: { keys?: unknown };
    try {
      const res = await doFetch(options.jwksUri, { signal: AbortSignal.timeout(timeoutMs), headers: { accept: 'application/json' } });
      if (!res.ok) throw new Error(`JWKS answered ${res.status}`);
      body = (await res.json()) as { keys?: unknown };
    } catch (err) {
      outage = new AuthClientError('auth_unavailable', `Cannot fetch the JWKS from ${options.jwksUri}.`, { cause: err });
      throw outage;
    } finally {
      // A failed fetch also counts, so an unreachable auth service is not hammered.
      fetchedAt = Date.now();
    }
    const next = new Map<string, KeyObject>();
    for (const jwk of Array.isArray(body.keys) ? (body.keys as Jwk[]) : []) {
      // Only keys meant for ES256 signatures: anything else in the set is not ours to trust here.
      if (typeof jwk.kid !== 'string' || jwk.kty !== 'EC' || jwk.crv !== 'P-256') continue;
      if ((jwk.alg !== undefined && jwk.alg !== 'ES256') || (jwk.use !== undefined && jwk.use !== 'sig')) continue;
      try {
        next.set(jwk.kid, createPublicKey({ key: { kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y }, format: 'jwk' }));
      } catch {
        // A malformed key is skipped; the others stay usable.
      }
    }
    keys = next;
    outage = undefined;
  }

  function refresh(): Promise<void> {
    inFlight ??= load().finally(() => {
      inFlight = undefined;
    });
    return inFlight;
  }

  return {
    get fetches() {
      return fetches;
    },
    async getKey(kid) {
      const stale = Date.now() - fetchedAt > cacheMaxAgeMs;
      if (stale) await refresh().catch((err) => {
        // With keys in hand, a failed periodic refresh keeps the old set rather than failing requests.
        if (keys.size === 0) throw err;
      });
      let key = keys.get(kid);
      const interval = outage ? retryAfterFailureMs : minRefetchIntervalMs;
      if (!key && Date.now() - fetchedAt >= interval) {
        await refresh();
        key = keys.get(kid);
      }
      // The last fetch failed: whether this kid is ours cannot be known, so this is an outage, not a bad token.
      if (!key && outage) throw outage;
      if (!key) throw new AuthClientError('invalid_token', 'The access token was signed by an unknown key.');
      return key;
    },
  };
}
