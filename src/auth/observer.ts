import type { LoginFailureReason } from './audit/audit-events';

/** How a login ended, for monitoring (the audit log keeps the same reasons per account). */
export type LoginOutcome = 'succeeded' | LoginFailureReason | 'throttled';

/**
 * Counts of what the auth rules decide, for monitoring (src/http/metrics.ts implements it with
 * Prometheus counters). Every method is optional and must not throw; the domain knows no metrics library.
 */
export interface AuthObserver {
  loginOutcome?(outcome: LoginOutcome): void;
  refreshTokenReused?(): void;
  throttled?(limiter: 'login' | 'registration'): void;
  /** A registration attempt while the service is over REGISTER_MAX_GLOBAL in the window (issue 22 M3: a soft signal). */
  registrationSurge?(): void;
}
