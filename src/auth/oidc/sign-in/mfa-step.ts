import type { AuthenticationResponseJSON, PublicKeyCredentialRequestOptionsJSON } from '@simplewebauthn/server';
import { AppError, isAppError } from '../../../errors/app-error';
import type { AuditClient } from '../../audit/audit-events';
import type { AuthenticationMethod, ProviderSignIn } from '../authentication-context';
import { ENGLISH } from '../pages/page-words';
import { passkeyCeremony } from '../pages/passkey-markup';
import { ASSERTION_FIELD, readAssertion } from './passkey';
import type { SignInStep } from './sign-in-method';

/** What the step needs of the factor sign-in (src/auth/factors/factor-sign-in.ts), named here so the provider does not depend on it. */
export interface MfaChallenges {
  challengeFor(userId: string, methods: AuthenticationMethod[], providerSignIn?: ProviderSignIn): Promise<{ mfa_token: string } | undefined>;
  verifyMfaChallenge(
    mfaToken: string,
    proof: { totp_code: string } | { recovery_code: string } | { passkey: AuthenticationResponseJSON },
    client: AuditClient & { ip: string },
    page: 'oidc' | 'device',
  ): Promise<{ userId: string; methods: AuthenticationMethod[]; providerSignIn: ProviderSignIn | undefined }>;
  /** Options for a passkey answering the challenge (the account's passkeys only), as POST mfa/passkey-options. */
  mfaPasskeyOptions(mfaToken: string): Promise<PublicKeyCredentialRequestOptionsJSON>;
}

/**
 * Issue 26's MFA challenge on the provider's login page: after a correct password (or a provider's
 * sign-in, "Continue with <provider>"), an account with a second factor is asked for its
 * authenticator app's code or a recovery code (one field: six digits are a TOTP code, anything
 * else a recovery code), with the same MFA token, throttle, audit
 * events and single use as POST mfa/verify. The ID token's amr then says pwd, otp, mfa and its acr
 * the multi-factor one. An account with a passkey also gets a passkey button (it needs the page's
 * JavaScript; the code field works without): its assertion answers the same challenge as
 * mfa/verify's `passkey` does, for the challenge's own WebAuthn challenge, and adds hwk or swk.
 */
export function mfaStep(challenges: MfaChallenges): SignInStep {
  return {
    id: 'mfa',
    title: 'Second factor',
    explanation: 'Enter the code your authenticator app shows, or one of your recovery codes.',
    label: 'Continue',
    fields: [{ name: 'code', label: 'Code', type: 'text', autocomplete: 'one-time-code', inputmode: 'numeric' }],
    async required(result) {
      // The challenge keeps the provider, so the finished sign-in is recorded as that provider's.
      const answer = await challenges.challengeFor(result.userId, result.methods, result.providerSignIn);
      return answer && { challenge: answer.mfa_token };
    },
    async ceremony(challenge, words = ENGLISH) {
      let options;
      try {
        options = await challenges.mfaPasskeyOptions(challenge);
      } catch (err) {
        // A challenge that died meanwhile (spent, expired, too many wrong answers): the page shows
        // the code field alone, whose post then says so.
        if (isAppError(err)) return undefined;
        throw err;
      }
      // No passkey of the account's to offer: an empty list would let the browser offer any passkey.
      if (!options.allowCredentials?.length) return undefined;
      return passkeyCeremony(options, words.or('step.mfa.passkey', 'Use a passkey'), words);
    },
    async complete(challenge, form, client, page) {
      if (form[ASSERTION_FIELD]) return challenges.verifyMfaChallenge(challenge, { passkey: readAssertion(form[ASSERTION_FIELD]) }, client, page);
      const code = form.code?.trim().replace(/\s/g, '');
      if (!code) throw new AppError('invalid_request', 'Enter the code of your authenticator app or a recovery code.');
      const proof = /^\d{6}$/.test(code) ? { totp_code: code } : { recovery_code: code };
      return challenges.verifyMfaChallenge(challenge, proof, client, page);
    },
  };
}
