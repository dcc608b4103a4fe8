import type { CaptchaVerifier } from './captcha';
import type { CaptchaWidget } from './captcha-widget';
import type { LoginThrottle } from '../throttling/login-throttle';
import { normalizeEmail } from '../accounts/users';

/**
 * Login's CAPTCHA (issue 30): asked for only once the login throttle sees something suspicious,
 * so an honest player who types the password right never meets one: this client has failed
 * CAPTCHA_LOGIN_AFTER_FAILURES times on the account in the throttle's window, or the account is
 * under a spread attack. With 0, every login asks. Enforced by AuthService.checkSignInPassword,
 * the one password check of every sign-in (POST login, the password grant, the provider's login
 * page, /device), so no way in skips it.
 */
export interface LoginCaptcha {
  /** Whether the next password sign-in of `email` from `ip` must carry a token; without an email, whether every one must. */
  required(email: string | undefined, ip: string): Promise<boolean>;
  /** Verifies `token` when `required`; a token sent when none is needed is left unspent. Throws AppError as CaptchaVerifier.verify does. */
  check(email: string, ip: string, token: string | undefined): Promise<void>;
  /** The widget a server-rendered sign-in page shows when `required`; undefined when login asks for no CAPTCHA. */
  readonly widget: CaptchaWidget | undefined;
}

export function createLoginCaptcha(
  captcha: CaptchaVerifier,
  throttle: () => Pick<LoginThrottle, 'suspicion'>,
  afterFailures: number,
  widget: CaptchaWidget | undefined,
): LoginCaptcha {
  const required = async (email: string | undefined, ip: string): Promise<boolean> => {
    if (!captcha.requiredFor('login')) return false;
    if (afterFailures === 0) return true;
    if (email === undefined || email === '') return false;
    const { clientFailures, accountUnderAttack } = await throttle().suspicion(normalizeEmail(email), ip);
    return clientFailures >= afterFailures || accountUnderAttack;
  };
  return {
    required,
    async check(email, ip, token) {
      if (await required(email, ip)) await captcha.verify(token, 'login', ip);
    },
    widget: captcha.requiredFor('login') ? widget : undefined,
  };
}
