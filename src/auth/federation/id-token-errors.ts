import { AppError } from '../../errors/app-error';
import type { ErrorCode } from '../../errors/error-codes';

/** Why a provider's ID token was refused: one stable code each, also the `reason` label of the metric. */
export const REFUSAL_REASONS = {
  id_token_invalid: 'The ID token is not a valid signed JWT from this provider (format, algorithm, key or signature).',
  id_token_wrong_issuer: 'The ID token was issued by another issuer than this provider.',
  id_token_wrong_audience: 'The ID token was issued for another client: its aud (or azp) is none of the configured client ids.',
  id_token_expired: 'The ID token has expired (or was issued too long ago): sign in with the provider again.',
  id_token_not_yet_valid: 'The ID token was issued in the future (iat or nbf): check the device clock.',
  id_token_nonce_mismatch: 'The nonce does not match: send the raw nonce whose SHA-256 (hex) was given to the provider.',
  provider_email_unverified: 'The provider has not verified the email address of this account.',
} as const satisfies Partial<Record<ErrorCode, string>>;

export type RefusalReason = keyof typeof REFUSAL_REASONS;

/** The refusal as the API answers it. */
export class IdTokenRefused extends AppError {
  constructor(readonly reason: RefusalReason, detail: string = REFUSAL_REASONS[reason]) {
    super(reason, detail);
  }
}
