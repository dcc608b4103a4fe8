import type { SignInMethod } from './sign-in-method.js';

/**
 * Email and password (`POST login`): `invalid_credentials`, `rate_limited`, `account_disabled`,
 * `captcha_required` (after failures, when the service asks: solve the widget, pass its token) ...
 */
export const withPassword =
  (email: string, password: string, captchaToken?: string): SignInMethod =>
  (api) =>
    api.call('POST', '/login', { body: captchaToken ? { email, password, captcha_token: captchaToken } : { email, password } });
