import { sign } from 'node:crypto';
import { SIGNING_ALGORITHM, type SigningKeys } from '../../tokens/signing-keys';

/** RFC 8417 §2.3 explicit typing, required by SSF 1.0 §4.1.1: a SET is never taken for another JWT. */
export const SET_TYPE = 'secevent+jwt';

/**
 * Signs a Security Event Token with the service's current signing key (the keys of
 * /.well-known/jwks.json, so receivers verify SETs with the JWKS they already fetch for access
 * tokens): ES256, `typ: secevent+jwt`, `kid`. The claims are signed as given (no `exp` is added).
 */
export function signSet(keys: SigningKeys, claims: Record<string, unknown>): string {
  const key = keys.current;
  const header = Buffer.from(JSON.stringify({ alg: SIGNING_ALGORITHM, typ: SET_TYPE, kid: key.kid })).toString('base64url');
  const input = `${header}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`;
  const signature = sign('sha256', Buffer.from(input), { key: key.privateKey, dsaEncoding: 'ieee-p1363' });
  return `${input}.${signature.toString('base64url')}`;
}
