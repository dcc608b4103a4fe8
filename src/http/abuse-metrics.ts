import { Counter, type Registry } from 'prom-client';
import type { AbuseObserver } from '../auth/abuse/abuse-observer';
import { CAPTCHA_ACTIONS } from '../config/abuse-settings';

/**
 * The abuse defences' counters (issue 30), in the app's registry (metrics.ts). Every series
 * exists from the start at 0, so rate() and alerts see 0 rather than nothing.
 */
export function createAbuseMetrics(registry: Registry): AbuseObserver {
  const breached = new Counter({
    name: 'auth_breached_passwords_refused_total',
    help: 'Passwords refused because the range API lists them at least BREACHED_PASSWORD_MIN_COUNT times, by flow: registration, reset, change.',
    labelNames: ['flow'] as const,
    registers: [registry],
  });
  const breachErrors = new Counter({
    name: 'auth_breach_check_errors_total',
    help: 'Breached-password checks that got no usable answer, by what the fail mode decided: allowed, refused.',
    labelNames: ['outcome'] as const,
    registers: [registry],
  });
  const captcha = new Counter({
    name: 'auth_captcha_failures_total',
    help: 'Requests refused for their CAPTCHA, by action and reason: missing, rejected, unavailable.',
    labelNames: ['action', 'reason'] as const,
    registers: [registry],
  });
  const blocked = new Counter({
    name: 'auth_registrations_blocked_total',
    help: 'Registrations refused by an abuse defence, by reason: captcha, breached_password.',
    labelNames: ['reason'] as const,
    registers: [registry],
  });
  for (const flow of ['registration', 'reset', 'change']) breached.inc({ flow }, 0);
  for (const outcome of ['allowed', 'refused']) breachErrors.inc({ outcome }, 0);
  for (const action of CAPTCHA_ACTIONS) for (const reason of ['missing', 'rejected', 'unavailable']) captcha.inc({ action, reason }, 0);
  for (const reason of ['captcha', 'breached_password']) blocked.inc({ reason }, 0);
  return {
    breachedPasswordRefused: (flow) => breached.inc({ flow }),
    breachCheckFailed: (outcome) => breachErrors.inc({ outcome }),
    captchaFailed: (action, reason) => captcha.inc({ action, reason }),
    registrationBlocked: (reason) => blocked.inc({ reason }),
  };
}
