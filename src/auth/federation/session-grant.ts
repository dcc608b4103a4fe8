import type { EntityManager } from 'typeorm';
import type { Config } from '../../config/config';
import type { User } from '../../db/entities/index';
import { publicUser } from '../accounts/public-user';
import type { AuthenticationMethod } from '../oidc/authentication-context';
import type { GrantWithUser } from '../principal';
import { startSession, type ClientInfo } from '../sessions/sessions';
import type { AuthKeys } from '../tokens/auth-keys';
import type { AuthService } from '../auth-service';

export type AccessTokenSigner = AuthService['accessToken'];

/**
 * Starts a session for a user signed in some other way than a password (a provider's ID token, a
 * guest) and hands back the same grant as login: the session rules and tokens of sessions/ and tokens/.
 * `methods`: how the user proved who they are (a provider's sign-in: `fed`), kept in the session and
 * carried by its access tokens from the first one on, as login's are; without them the session
 * is recorded as before (`pwd`) and the first token has no amr.
 */
export function sessionGrants(auth: Config['auth'], keys: AuthKeys, accessToken: AccessTokenSigner) {
  const settings = {
    refreshTokenTtlSeconds: auth.refreshTokenTtlSeconds,
    reuseIntervalSeconds: auth.refreshReuseIntervalSeconds,
    maxLifetimeSeconds: auth.sessionMaxLifetimeSeconds,
  };
  const secrets = { current: keys.tokenSecret, previous: keys.previousTokenSecrets };
  return async function grant(manager: EntityManager, user: User, client: ClientInfo, methods?: readonly AuthenticationMethod[]): Promise<GrantWithUser> {
    const issued = await startSession(manager, user.id, client, settings, secrets, methods);
    const { accessToken: token, expiresIn } = accessToken({
      userId: user.id,
      sessionId: issued.sessionId,
      role: user.role,
      emailVerified: user.emailVerifiedAt !== null,
      ...(methods && { authentication: issued.authentication }),
    });
    return { accessToken: token, expiresIn, refreshToken: issued.refreshToken, sessionId: issued.sessionId, user: publicUser(user) };
  };
}

export type SessionGrant = ReturnType<typeof sessionGrants>;
