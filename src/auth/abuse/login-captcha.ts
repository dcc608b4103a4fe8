import type { CaptchaVerifier } from './captcha';
import type { LoginThrottle } from '../throttling/login-throttle';
import { normalizeEmail } from '../accounts/users';

/**
 * Login's CAPTCHA: asked for only once the login throttle sees something suspicious (issue 30),
 * so an honest player who types the password right never meets one: this client has failed
 * CAPTCHA_LOGIN_AFTER_FAILURES times on the account in the throttle's window, or the account is
 * under a spread attack. With 0, every login asks. A token sent when none is needed is left
 * unspent. Throws AppError as CaptchaVerifier.verify does.
 */
export function createLoginCaptcha(captcha: CaptchaVerifier, throttle: () => Pick<LoginThrottle, 'suspicion'>, afterFailures: number) {
  return async (email: string, ip: string, token: string | undefined): Promise<void> => {
    if (!captcha.requiredFor('login')) return;
    if (afterFailures > 0) {
      const { clientFailures, accountUnderAttack } = await throttle().suspicion(normalizeEmail(email), ip);
      if (clientFailures < afterFailures && !accountUnderAttack) return;
    }
    await captcha.verify(token, 'login', ip);
  };
}

export type LoginCaptcha = ReturnType<typeof createLoginCaptcha>;
