import type { SignInMethod } from './sign-in-method.js';

/**
 * A native provider sign-in (`POST id-token`): the ID token from Apple's or Google's SDK and the raw
 * nonce whose SHA-256 (hex) the app gave it; `name`: what Apple gives on the first sign-in only.
 * Codes: `id_token_nonce_mismatch`, `id_token_wrong_audience`, `id_token_expired`, `provider_email_unverified`, ...;
 * `mfa_required` when the account has a second factor (complete it with `withMfa`, as after a password).
 */
export const withIdToken =
  (provider: 'apple' | 'google', idToken: string, nonce: string, name?: string): SignInMethod =>
  (api) =>
    api.call('POST', '/id-token', { body: { provider, id_token: idToken, nonce, display_name: name } });
