import { hkdfSync } from 'node:crypto';
import type { AuthKeys } from '../tokens/auth-keys';
import { SIGNING_ALGORITHM } from '../tokens/signing-keys';

/**
 * The OpenID provider's key material, taken from the keys the service already has, so there is
 * one rotation story (docs/operations.md): ID tokens are signed with the current JWT_PRIVATE_KEY
 * (same `kid` as in /.well-known/jwks.json, which discovery names as jwks_uri and which keeps the
 * previous public keys during a rotation), and the provider's cookies are signed with keys derived
 * from TOKEN_SECRET and TOKEN_PREVIOUS_SECRETS, so a secret rotation keeps browser sessions.
 */

/** The current signing key as the private JWK oidc-provider's `jwks` option wants. */
export function providerJwks(keys: AuthKeys): { keys: Record<string, unknown>[] } {
  const { current } = keys.signingKeys;
  const jwk = current.privateKey.export({ format: 'jwk' });
  return { keys: [{ ...jwk, kid: current.kid, alg: SIGNING_ALGORITHM, use: 'sig' }] };
}

/**
 * Keys for the provider's signed cookies (keygrip: the first signs, all verify). Derived with
 * HKDF so the cookie key is never the secret that derives refresh tokens.
 */
export function cookieKeys(keys: AuthKeys): string[] {
  return [keys.tokenSecret, ...keys.previousTokenSecrets].map((secret) =>
    Buffer.from(hkdfSync('sha256', secret, Buffer.alloc(0), 'cathouse oidc cookies', 32)).toString('base64url'),
  );
}

/**
 * Keys for the CSRF tokens of the interaction pages (HMAC over the interaction and the form): the
 * first makes them, all check them, so a page rendered before a TOKEN_SECRET rotation still posts.
 */
export function formKeys(keys: AuthKeys): Buffer[] {
  return [keys.tokenSecret, ...keys.previousTokenSecrets].map((secret) => Buffer.from(hkdfSync('sha256', secret, Buffer.alloc(0), 'cathouse oidc forms', 32)));
}
