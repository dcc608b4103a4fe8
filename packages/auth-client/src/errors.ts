/** Stable codes, the same names the auth service uses in its problem+json `error`. */
export type AuthClientErrorCode = 'invalid_token' | 'forbidden' | 'insufficient_user_authentication' | 'auth_unavailable';

const STATUS: Record<AuthClientErrorCode, number> = { invalid_token: 401, forbidden: 403, insufficient_user_authentication: 401, auth_unavailable: 503 };

/**
 * What an `insufficient_user_authentication` refusal asks for, under RFC 9470's names: sent as
 * parameters of `WWW-Authenticate: Bearer error="insufficient_user_authentication"` (`max_age`,
 * `acr_values`) and as members of the problem document (all three; `amr_values` is ours, RFC 9470
 * has no parameter for methods).
 */
export interface StepUpChallenge {
  max_age?: number;
  acr_values?: string;
  amr_values?: string[];
}

/** Every failure of this package: branch on `code`, never on the message. */
export class AuthClientError extends Error {
  readonly status: number;
  /** Only for `insufficient_user_authentication`: what a step-up must bring. */
  readonly stepUp: StepUpChallenge | undefined;

  constructor(
    readonly code: AuthClientErrorCode,
    message: string,
    options?: { cause?: unknown; stepUp?: StepUpChallenge },
  ) {
    super(message, options);
    this.name = 'AuthClientError';
    this.status = STATUS[code];
    this.stepUp = options?.stepUp;
  }
}
