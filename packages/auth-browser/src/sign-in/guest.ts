import type { SignInMethod } from './sign-in-method.js';

/**
 * A guest player (`POST guest`): `user.is_anonymous` is true until an upgrade; `rate_limited` per address.
 * Pass the solved widget's token (action `guest`) when the service asks (`captcha_required`).
 */
export const asGuest =
  (captchaToken?: string): SignInMethod =>
  (api) =>
    api.call('POST', '/guest', captchaToken ? { body: { captcha_token: captchaToken } } : {});

/**
 * Makes the signed-in guest a player with the same id (`POST guest/upgrade`): `{ email, password }`
 * (with `captcha_token`, action `register`, when the service asks, as at registration) or
 * `{ provider, id_token, nonce }`; `locale` as at registration. Pass `await auth.getAccessToken()`.
 * Codes: `not_a_guest`, `email_taken`, `password_breached`, `captcha_required`, ...
 */
export const withGuestUpgrade =
  (
    guestToken: string,
    input: ({ email: string; password: string; captcha_token?: string } | { provider: 'apple' | 'google'; id_token: string; nonce: string }) & { locale?: string },
  ): SignInMethod =>
  (api) =>
    api.call('POST', '/guest/upgrade', { body: input, token: guestToken });
