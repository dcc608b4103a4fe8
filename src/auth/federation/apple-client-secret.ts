import { createPrivateKey, type KeyObject } from 'node:crypto';
import type { AppleClientSecretSettings } from '../../config/apple-web-sign-in-settings';
import { jose } from './jose-library';
import { openIdClient, type OpenIdClient } from './openid-client-library';

type ClientAuth = NonNullable<Parameters<OpenIdClient['discovery']>[3]>;

/** A secret lives 5 minutes (Apple allows up to 6 months): a leaked one is soon worthless. */
const LIFETIME_SECONDS = 300;
/** A new secret is signed when the cached one has less than this left, so none expires in flight. */
const RENEW_BEFORE_SECONDS = 60;

/**
 * Sign in with Apple's client authentication for openid-client: `client_secret_post` whose secret
 * is an ES256 JWT signed with the team's key (header kid = key id; iss = team id, sub = the client
 * id (the Services ID), aud = Apple's issuer, iat, exp), as Apple's "Creating a client secret"
 * asks. One secret is reused until a minute before it expires, then the next code exchange signs
 * a new one.
 */
export function appleClientAuth(settings: AppleClientSecretSettings, clientId: string, audience: string, now: () => number = () => Math.floor(Date.now() / 1000)): ClientAuth {
  const key: KeyObject = createPrivateKey(settings.privateKeyPem);
  let cached: { secret: string; expiresAt: number } | undefined;
  return async (as, client, body, headers) => {
    const at = now();
    if (!cached || cached.expiresAt - at < RENEW_BEFORE_SECONDS) {
      const secret = await new jose.SignJWT({})
        .setProtectedHeader({ alg: 'ES256', kid: settings.keyId })
        .setIssuer(settings.teamId)
        .setSubject(clientId)
        .setAudience(audience)
        .setIssuedAt(at)
        .setExpirationTime(at + LIFETIME_SECONDS)
        .sign(key);
      cached = { secret, expiresAt: at + LIFETIME_SECONDS };
    }
    return openIdClient.ClientSecretPost(cached.secret)(as, client, body, headers);
  };
}

/**
 * The name Apple posts beside the code on a user's first sign-in only (the `user` form field,
 * JSON `{"name":{"firstName","lastName"},"email"}`); Apple never puts it in the ID token. Not
 * signed, so it only ever fills an empty display name (resolveAccount), as the name a native app
 * sends with Apple's ID token does.
 */
export function appleFirstSignInName(user: unknown): string | undefined {
  if (typeof user !== 'string' || user.length > 2048) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(user);
  } catch {
    return undefined;
  }
  const name = (parsed as { name?: { firstName?: unknown; lastName?: unknown } } | null)?.name;
  const parts = [name?.firstName, name?.lastName].filter((p): p is string => typeof p === 'string' && p.trim() !== '').map((p) => p.trim());
  return parts.length > 0 ? parts.join(' ').slice(0, 100) : undefined;
}
