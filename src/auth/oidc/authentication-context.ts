/**
 * How the player signed in, as OpenID Connect says it: `amr` (RFC 8176 values) and `acr`. The one
 * place where a sign-in's methods become claims, for the provider's ID tokens and for the service's
 * own access tokens alike (issue 26): `pwd` a password, `otp` an authenticator app's code or a
 * recovery code, `hwk` a device-bound passkey or security key, `swk` a synced passkey (its key
 * lives in software, copied between devices), `fed` another provider's sign-in (Apple, Google),
 * and `mfa` when two kinds of factor were used, or when a passkey verified its user (PIN or
 * biometrics: a multi-factor authenticator, NIST SP 800-63B §5.1.8).
 *
 * A provider's sign-in counts as the first factor, in the place of the password: with something
 * the player has (`otp`, `hwk`, `swk`) it is multi-factor, as `pwd` + `otp` is. Whatever the
 * provider itself asked for is not known here (its amr is not trusted), so `fed` alone is one
 * factor.
 */

/** RFC 8176 method references a Cat House sign-in may produce. */
export type AuthenticationMethod = 'pwd' | 'otp' | 'hwk' | 'swk' | 'fed' | 'mfa';

export const ACR_PASSWORD = 'urn:cathouse:acr:password';
export const ACR_MULTI_FACTOR = 'urn:cathouse:acr:mfa';

/** The acr values the provider advertises (discovery `acr_values_supported`). */
export const ACR_VALUES = [ACR_PASSWORD, ACR_MULTI_FACTOR];

const FACTOR_KINDS: Record<AuthenticationMethod, 'know' | 'have' | 'federated' | 'multi'> = {
  pwd: 'know',
  otp: 'have',
  hwk: 'have',
  swk: 'have',
  fed: 'federated',
  mfa: 'multi',
};

/** The methods that prove possession of a second factor (what step-up asks for). */
export const SECOND_FACTOR_METHODS: readonly AuthenticationMethod[] = ['otp', 'hwk', 'swk', 'mfa'];

/** The amr and acr for a sign-in that used `methods` (in the order they were used). */
export function authenticationContext(methods: readonly AuthenticationMethod[]): { amr: AuthenticationMethod[]; acr: string } {
  const used = [...new Set(methods)].filter((m) => m !== 'mfa');
  const kinds = new Set(methods.map((m) => FACTOR_KINDS[m]));
  const firstFactor = kinds.has('know') || kinds.has('federated');
  const multiFactor = (firstFactor && kinds.has('have')) || kinds.has('multi');
  return { amr: multiFactor ? [...used, 'mfa'] : used, acr: multiFactor ? ACR_MULTI_FACTOR : ACR_PASSWORD };
}

/** Whether `amr` (of a session or a token) shows a second factor. */
export function hasSecondFactor(amr: readonly string[]): boolean {
  return amr.some((m) => (SECOND_FACTOR_METHODS as readonly string[]).includes(m));
}

/** Keeps the RFC 8176 values this service makes, in case a stored list holds something else. */
export function asMethods(amr: readonly string[]): AuthenticationMethod[] {
  return amr.filter((m): m is AuthenticationMethod => m in FACTOR_KINDS);
}

/**
 * Which provider's sign-in proved `fed`, and how (issue 25): a native ID token or a web redirect.
 * Kept with an MFA challenge so that the sign-in, once its second factor is done, is counted
 * (auth_sign_ins_total) and audited (login_succeeded's `method` and `provider`) as one without.
 */
export interface ProviderSignIn {
  method: 'id_token' | 'redirect';
  provider: string;
}
