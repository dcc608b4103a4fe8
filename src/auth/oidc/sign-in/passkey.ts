import type { AuthenticationResponseJSON, PublicKeyCredentialRequestOptionsJSON } from '@simplewebauthn/server';
import { AppError } from '../../../errors/app-error';
import type { AuditClient } from '../../audit/audit-events';
import type { AuthenticationMethod } from '../authentication-context';
import { ENGLISH } from '../pages/page-words';
import { passkeyCeremony } from '../pages/passkey-markup';
import type { SignInMethod } from './sign-in-method';

/** What the method needs of the factor sign-in (src/auth/factors/factor-sign-in.ts), named here so the provider does not depend on it. */
export interface PasskeySignIns {
  passkeySignInOptions(subject: string): Promise<PublicKeyCredentialRequestOptionsJSON>;
  verifyPasskeySignIn(response: AuthenticationResponseJSON, client: AuditClient & { ip: string }, subject: string): Promise<{ userId: string; methods: AuthenticationMethod[] }>;
}

/** The hidden field a passkey's form posts its credential in (passkey-markup.ts). */
export const ASSERTION_FIELD = 'assertion';

/**
 * Sign-in with a passkey alone on the login page and /device (issue 26): no email, the
 * discoverable credential names its account. The options and the check are the JSON API's
 * (POST passkeys/sign-in/options and passkeys/sign-in, FactorSignIn): the same user verification,
 * throttle per passkey and address, audit events (login_failed passkey_refused) and amr
 * (hwk or swk, and mfa). Only the challenge differs: it is made for the page's `binding` (the
 * interaction, or the /device page's browser), so a challenge shown on one page is refused on any
 * other, and it is spent by its first answer (a replayed assertion is refused).
 */
export function passkeySignIn(signIns: PasskeySignIns): SignInMethod {
  return {
    id: 'passkey',
    label: 'Sign in with a passkey',
    fields: [],
    async ceremony(binding, words = ENGLISH) {
      return passkeyCeremony(await signIns.passkeySignInOptions(binding), words.or('method.passkey.label', 'Sign in with a passkey'), words);
    },
    async signIn(form, client, binding) {
      // A page that does not say where the form came from cannot check the challenge's binding.
      if (!binding) throw new AppError('invalid_request', 'Signing in with a passkey is not offered on this page.');
      return signIns.verifyPasskeySignIn(readAssertion(form[ASSERTION_FIELD]), client, binding);
    },
  };
}

/**
 * The credential JSON a page's script posted, in the shape the passkey code reads (the JSON API
 * validates the same shape with its schema, PasskeyAssertion): strings where strings are expected,
 * so a forged form gets 400 invalid_request rather than an exception. Signatures and challenge
 * are SimpleWebAuthn's to check.
 */
export function readAssertion(text: string | undefined): AuthenticationResponseJSON {
  const unreadable = () => new AppError('invalid_request', 'The passkey did not answer: use the passkey button again (it needs JavaScript).');
  if (!text) throw unreadable();
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw unreadable();
  }
  const value = parsed as { id?: unknown; rawId?: unknown; type?: unknown; response?: Record<string, unknown> | null };
  const strings = (...values: unknown[]) => values.every((v) => typeof v === 'string' && v.length > 0);
  const r = value?.response;
  if (!r || typeof r !== 'object' || value.type !== 'public-key' || !strings(value.id, value.rawId, r.clientDataJSON, r.authenticatorData, r.signature)) throw unreadable();
  if (r.userHandle !== undefined && typeof r.userHandle !== 'string') throw unreadable();
  return parsed as AuthenticationResponseJSON;
}
