/**
 * What the abuse defences report for monitoring (src/http/abuse-metrics.ts implements it with
 * Prometheus counters). Every method is optional and must not throw.
 */
export interface AbuseObserver {
  /** A password refused because the range answered it at least BREACHED_PASSWORD_MIN_COUNT times. */
  breachedPasswordRefused?(flow: PasswordFlow): void;
  /** The range endpoint did not answer in time or answered badly; `outcome` is what the fail mode decided. */
  breachCheckFailed?(outcome: 'allowed' | 'refused'): void;
  /** A request refused for its CAPTCHA: missing, rejected by the provider, or the provider unreachable (fail-closed). */
  captchaFailed?(action: string, reason: CaptchaFailure): void;
  /** A registration refused by an abuse defence (a CAPTCHA or a breached password). */
  registrationBlocked?(reason: 'captcha' | 'breached_password'): void;
}

export type PasswordFlow = 'registration' | 'reset' | 'change';
export type CaptchaFailure = 'missing' | 'rejected' | 'unavailable';
