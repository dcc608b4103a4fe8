import type { RefusalReason } from './id-token-errors';

/**
 * What sign-in with other providers and guests report for monitoring (src/http/metrics.ts counts
 * them). Every method is optional and must not throw.
 */
export interface FederationObserver {
  /** A sign-in by method: `id_token` or `redirect` per provider, or `guest`. */
  signIn?(method: 'id_token' | 'redirect' | 'guest', provider: string): void;
  idTokenRefused?(provider: string, reason: RefusalReason | 'unknown_provider' | 'provider_unavailable'): void;
  identityChanged?(action: 'linked' | 'unlinked' | 'takeover_defence'): void;
  guest?(event: 'created' | 'upgraded'): void;
}
