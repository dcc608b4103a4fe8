import type { SignInMethod } from './sign-in-method.js';

/** A guest player (`POST guest`): `user.is_anonymous` is true until an upgrade; `rate_limited` per address. */
export const asGuest = (): SignInMethod => (api) => api.call('POST', '/guest');

/**
 * Makes the signed-in guest a player with the same id (`POST guest/upgrade`): `{ email, password }`
 * or `{ provider, id_token, nonce }`. Pass `await auth.getAccessToken()`. Codes: `not_a_guest`, `email_taken`, ...
 */
export const withGuestUpgrade =
  (guestToken: string, input: { email: string; password: string } | { provider: 'apple' | 'google'; id_token: string; nonce: string }): SignInMethod =>
  (api) =>
    api.call('POST', '/guest/upgrade', { body: input, token: guestToken });
