/**
 * How the player signed in, as OpenID Connect says it: `amr` (RFC 8176 values) and `acr`. The one
 * place where a sign-in's methods become claims: issue 26 adds `otp` and `hwk` (and with two
 * factors `mfa`, and the stronger acr) here, and nowhere else.
 */

/** RFC 8176 method references a Cat House sign-in may produce. */
export type AuthenticationMethod = 'pwd' | 'otp' | 'hwk' | 'swk' | 'fed';

export const ACR_PASSWORD = 'urn:cathouse:acr:password';
export const ACR_MULTI_FACTOR = 'urn:cathouse:acr:mfa';

/** The acr values the provider advertises (discovery `acr_values_supported`). */
export const ACR_VALUES = [ACR_PASSWORD, ACR_MULTI_FACTOR];

const FACTOR_KINDS: Record<AuthenticationMethod, 'know' | 'have' | 'federated'> = {
  pwd: 'know',
  otp: 'have',
  hwk: 'have',
  swk: 'have',
  fed: 'federated',
};

/** The amr and acr for a sign-in that used `methods` (in the order they were used). */
export function authenticationContext(methods: readonly AuthenticationMethod[]): { amr: string[]; acr: string } {
  const amr: string[] = [...new Set(methods)];
  const kinds = new Set(methods.map((m) => FACTOR_KINDS[m]));
  const multiFactor = kinds.has('know') && kinds.has('have');
  if (multiFactor) amr.push('mfa');
  return { amr, acr: multiFactor ? ACR_MULTI_FACTOR : ACR_PASSWORD };
}
