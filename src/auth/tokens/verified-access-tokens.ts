import type { AccessTokenClaims } from './access-tokens';

/** Tokens remembered at most: ~1 KiB each with their claims, so about 10 MiB when full. */
export const VERIFIED_ACCESS_TOKENS_MAX = 10_000;

/**
 * Access tokens this process has already verified (signature, algorithm, issuer, audience, type,
 * claims), keyed by the whole token string, each until the token's own `exp`: an ES256
 * verification is the largest CPU cost of an authenticated request, and a client presents the
 * same token on every request for its lifetime. Keyed by the complete token, an entry can only
 * ever answer for the exact bytes that were verified, signature included; a token past its `exp`
 * is never answered from here. Bounded: when full, the oldest entry makes room (Map keeps
 * insertion order), so a flood of distinct tokens costs verifications, never memory.
 *
 * The session check (findLiveSession) is not cached: a logout or deactivation still takes effect
 * on the next request. Signing keys are loaded once per process, so a key cannot be withdrawn
 * under a cached token.
 */
export class VerifiedAccessTokens {
  private readonly entries = new Map<string, AccessTokenClaims>();

  constructor(private readonly max = VERIFIED_ACCESS_TOKENS_MAX) {}

  /** The claims of `token` if it was verified and has not expired by `nowMs`. */
  get(token: string, nowMs = Date.now()): AccessTokenClaims | undefined {
    const claims = this.entries.get(token);
    if (!claims) return undefined;
    if (claims.exp * 1000 <= nowMs) {
      this.entries.delete(token);
      return undefined;
    }
    return claims;
  }

  /** Remembers a token that has just passed verifyAccessToken (never one verified with allowExpired). */
  add(token: string, claims: AccessTokenClaims): void {
    if (this.entries.size >= this.max) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
    this.entries.set(token, Object.freeze({ ...claims }));
  }

  get size(): number {
    return this.entries.size;
  }
}
