import { AppError } from '../../errors/app-error';
import { signTokenWithClaims } from './access-tokens';
import { parseScopes, type ServiceClientInfo } from './service-clients';
import type { SigningKeys } from './signing-keys';

export interface ServiceTokenSettings {
  issuer: string;
  /** SERVICE_TOKEN_AUDIENCE: never the user audience. */
  audience: string;
  ttlSeconds: number;
}

export interface ServiceTokenGrant {
  accessToken: string;
  expiresIn: number;
  /** The granted scopes, space-separated (RFC 6749 §5.1 `scope`). */
  scope: string;
}

/**
 * The client credentials grant (RFC 6749 §4.4) for an authenticated client: a short-lived access
 * token with `sub` and `client_id` naming the client and `scope` the granted scopes, and no
 * refresh token (§4.4.3: a client can always ask again). Without `scope` the client gets all of
 * its scopes (§3.3); asking for one it does not hold is invalid_scope, never a silent narrowing.
 */
export function issueServiceToken(
  keys: SigningKeys,
  settings: ServiceTokenSettings,
  client: ServiceClientInfo,
  requestedScope: string | undefined,
): ServiceTokenGrant {
  const requested = requestedScope === undefined ? client.scopes : parseScopes(requestedScope);
  const missing = requested.filter((s) => !client.scopes.includes(s));
  if (missing.length > 0) {
    throw new AppError('invalid_scope', `The client "${client.clientId}" may not ask for: ${missing.join(' ')}.`);
  }
  const scope = requested.join(' ');
  const accessToken = signTokenWithClaims(
    keys,
    {
      issuer: settings.issuer,
      audience: settings.audience,
      subject: client.clientId,
      expiresAt: Math.floor(Date.now() / 1000) + settings.ttlSeconds,
    },
    { client_id: client.clientId, scope },
  );
  return { accessToken, expiresIn: settings.ttlSeconds, scope };
}
