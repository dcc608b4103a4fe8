import type { LoginFailureReason } from './audit/audit-events';
import type { ProviderSignIn } from './oidc/authentication-context';

/** How a login ended, for monitoring (the audit log keeps the same reasons per account). */
export type LoginOutcome = 'succeeded' | LoginFailureReason | 'throttled';

/**
 * Counts of what the auth rules decide, for monitoring (src/http/metrics.ts implements it with
 * Prometheus counters). Every method is optional and must not throw; the domain knows no metrics library.
 */
export interface AuthObserver {
  loginOutcome?(outcome: LoginOutcome): void;
  /**
   * A provider's sign-in finished here rather than in federation/ (after its second factor, or on a
   * sign-in page): counted with the provider sign-ins (auth_sign_ins_total), not as a password login.
   */
  providerSignIn?(signIn: ProviderSignIn): void;
  refreshTokenReused?(): void;
  throttled?(limiter: 'login' | 'registration'): void;
  /** A registration attempt while the service is over REGISTER_MAX_GLOBAL in the window (issue 22 M3: a soft signal). */
  registrationSurge?(): void;
}
