import { browserPasskeys, type PasskeyAdapter } from './passkey.js';
import type { SignInMethod } from './sign-in-method.js';

/** A second factor: an authenticator app's code, a recovery code, or a passkey (made through `adapter`). */
export type SecondFactor = { totp_code: string } | { recovery_code: string } | { passkey: PasskeyAdapter | true };

/**
 * The body of a second-factor answer; `options` fetches the passkey's WebAuthn options when
 * the factor is a passkey (`true`: the browser's).
 */
export async function factorBody(factor: SecondFactor, options: () => Promise<Record<string, unknown>>): Promise<Record<string, unknown>> {
  if (!('passkey' in factor)) return factor;
  const adapter = factor.passkey === true ? browserPasskeys : factor.passkey;
  return { passkey: await adapter.get(await options()) };
}

/**
 * Completes the MFA challenge a sign-in (password, provider ID token, redirect) rejected with: AuthError `mfa_required`, whose
 * `data.mfa_token` is `mfaToken` and `data.factors` what may answer. Wrong answers reject with
 * `invalid_credentials`; a dead token (expired, used, 5 wrong answers) with `invalid_mfa_token`.
 */
export const withMfa =
  (mfaToken: string, factor: SecondFactor): SignInMethod =>
  async (api) =>
    api.call('POST', '/mfa/verify', {
      body: { mfa_token: mfaToken, ...(await factorBody(factor, () => api.call('POST', '/mfa/passkey-options', { body: { mfa_token: mfaToken } }))) },
    });
