import type { RefusalReason } from './id-token-errors';

/**
 * What sign-in with other providers and guests report for monitoring (src/http/metrics.ts counts
 * them). Every method is optional and must not throw.
 */
export interface FederationObserver {
  /**
   * A finished sign-in by method: `id_token` or `redirect` per provider, or `guest`. An account with
   * a second factor is counted when that is done (POST mfa/verify, the pages' step: AuthObserver's
   * providerSignIn, wired to this), not when the provider alone answered mfa_required.
   */
  signIn?(method: 'id_token' | 'redirect' | 'guest', provider: string): void;
  idTokenRefused?(provider: string, reason: RefusalReason | 'unknown_provider' | 'provider_unavailable'): void;
  identityChanged?(action: 'linked' | 'unlinked' | 'takeover_defence'): void;
  guest?(event: 'created' | 'upgraded'): void;
}
