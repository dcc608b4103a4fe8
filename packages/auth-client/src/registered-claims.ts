/** What a token's registered claims (RFC 7519 §4.1) must match. */
export interface RegisteredClaimRules {
  readonly issuer: string;
  readonly audience: string;
  /** Leeway for clock skew on `exp` and `nbf`, in seconds. */
  readonly clockToleranceSeconds: number;
}

/**
 * Why the payload's registered claims fail `rules` at `now` (seconds), or undefined when they
 * pass: 'expired' on its own, because callers tell a user whose token merely ran out from one
 * holding a bad token. The same checks, in the same order, as jsonwebtoken's verify() that this
 * replaces (so every token refused before is refused now, with the same message): `nbf` and
 * `exp` when present, each a number, with the tolerance on both; then `aud`, where an array
 * passes here if it names our audience (the caller refuses arrays with its own message), and `iss`
 * exactly. That `exp`, `iat`, `sub` and `jti` are present is the caller's check.
 */
export function registeredClaimsFailure(payload: Record<string, unknown>, rules: RegisteredClaimRules, now: number): string | undefined {
  const { nbf, exp, aud } = payload;
  if (nbf !== undefined) {
    if (typeof nbf !== 'number') return 'invalid nbf value';
    if (nbf > now + rules.clockToleranceSeconds) return 'not active yet (nbf)';
  }
  if (exp !== undefined) {
    if (typeof exp !== 'number') return 'invalid exp value';
    if (now >= exp + rules.clockToleranceSeconds) return 'expired';
  }
  if (!(Array.isArray(aud) ? aud.includes(rules.audience) : aud === rules.audience)) return `audience invalid, expected ${rules.audience}`;
  if (payload.iss !== rules.issuer) return `issuer invalid, expected ${rules.issuer}`;
  return undefined;
}
