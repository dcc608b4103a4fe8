import { AppError } from '../../errors/app-error';

/**
 * The answer of a correct first factor when the account also has a second one (issue 26 item 4):
 * 403 mfa_required whose problem carries the challenge (`mfa_token`, `expires_in`, `factors`), not
 * a failure and no tokens; `first`: what was right, for the detail. Every sign-in answers it the
 * same way (POST login, POST id-token, POST redirect/exchange), so a client handles it once.
 */
export function mfaRequired(challenge: Record<string, unknown>, first: string): AppError {
  return new AppError('mfa_required', `${first}; this account also needs its second factor: send the mfa_token with a code or passkey to POST mfa/verify.`, {
    fields: challenge,
    headers: { 'cache-control': 'no-store' },
  });
}
