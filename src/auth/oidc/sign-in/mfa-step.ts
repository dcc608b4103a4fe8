import { AppError } from '../../../errors/app-error';
import type { AuditClient } from '../../audit/audit-events';
import type { AuthenticationMethod } from '../authentication-context';
import type { SignInStep } from './sign-in-method';

/** What the step needs of the factor sign-in (src/auth/factors/factor-sign-in.ts), named here so the provider does not depend on it. */
export interface MfaChallenges {
  challengeFor(userId: string, methods: AuthenticationMethod[]): Promise<{ mfa_token: string } | undefined>;
  verifyMfaChallenge(
    mfaToken: string,
    proof: { totp_code: string } | { recovery_code: string },
    client: AuditClient & { ip: string },
    page: 'oidc' | 'device',
  ): Promise<{ userId: string; methods: AuthenticationMethod[] }>;
}

/**
 * Issue 26's MFA challenge on the provider's login page: after a correct password (or a provider's
 * sign-in, "Continue with <provider>"), an account with a second factor is asked for its authenticator app's code or a recovery code (one field: six
 * digits are a TOTP code, anything else a recovery code), with the same MFA token, throttle, audit
 * events and single use as POST mfa/verify. The ID token's amr then says pwd, otp, mfa and its acr
 * the multi-factor one. A passkey as the second factor needs the page's JavaScript: not offered
 * here yet (the JSON API has it).
 */
export function mfaStep(challenges: MfaChallenges): SignInStep {
  return {
    id: 'mfa',
    title: 'Second factor',
    explanation: 'Enter the code your authenticator app shows, or one of your recovery codes.',
    label: 'Continue',
    fields: [{ name: 'code', label: 'Code', type: 'text', autocomplete: 'one-time-code', inputmode: 'numeric' }],
    async required(result) {
      const answer = await challenges.challengeFor(result.userId, result.methods);
      return answer && { challenge: answer.mfa_token };
    },
    async complete(challenge, form, client, page) {
      const code = form.code?.trim().replace(/\s/g, '');
      if (!code) throw new AppError('invalid_request', 'Enter the code of your authenticator app or a recovery code.');
      const proof = /^\d{6}$/.test(code) ? { totp_code: code } : { recovery_code: code };
      return challenges.verifyMfaChallenge(challenge, proof, client, page);
    },
  };
}
