import jwt from 'jsonwebtoken';
import type { DataSource } from 'typeorm';
import { AppError } from '../../errors/app-error';
import { sql } from '../sql';
import { ACCESS_TOKEN_TYPE, invalidToken } from './access-tokens';
import { SIGNING_ALGORITHM, type SigningKeys } from './signing-keys';

export interface ServicePrincipal {
  clientId: string;
  scopes: string[];
}

/**
 * Authenticates a service token (client credentials, issue 12) presented to this service itself,
 * as a resource server (RFC 6750): ES256 by one of our keys, `typ` at+jwt, our issuer, the service
 * audience, `client_id` = `sub`; then the client must still be active (a revoked client's tokens
 * stop here at once) and hold `scope`. Throws invalid_token (401) or insufficient_scope (403),
 * each with its RFC 6750 §3 challenge.
 */
export async function authenticateServiceToken(
  dataSource: DataSource,
  keys: SigningKeys,
  settings: { issuer: string; audience: string },
  token: string,
  scope: string,
): Promise<ServicePrincipal> {
  const decoded = jwt.decode(token, { complete: true });
  const kid = decoded && typeof decoded.payload !== 'string' ? decoded.header.kid : undefined;
  const key = typeof kid === 'string' ? keys.find(kid) : undefined;
  if (!key) throw invalidToken('The access token was not signed by a key of this service.');
  let verified: jwt.Jwt;
  try {
    verified = jwt.verify(token, key.publicKey, { algorithms: [SIGNING_ALGORITHM], issuer: settings.issuer, audience: settings.audience, complete: true });
  } catch (err) {
    throw invalidToken(err instanceof jwt.TokenExpiredError ? 'The access token has expired.' : 'The access token is invalid.');
  }
  const claims = verified.payload as { sub?: unknown; client_id?: unknown; scope?: unknown };
  if (verified.header.typ !== ACCESS_TOKEN_TYPE || typeof claims.client_id !== 'string' || claims.client_id !== claims.sub || typeof claims.scope !== 'string') {
    throw invalidToken('This needs a service token (client credentials grant).');
  }
  const { rows } = await sql<{ is_active: boolean }>(dataSource, `SELECT is_active FROM auth.service_clients WHERE client_id = $1`, [claims.client_id]);
  if (!rows[0]?.is_active) throw invalidToken('The client of this token has been revoked.');
  const scopes = claims.scope.split(' ').filter(Boolean);
  if (!scopes.includes(scope)) {
    throw new AppError('insufficient_scope', `This needs the scope ${scope}.`, {
      headers: { 'www-authenticate': `Bearer error="insufficient_scope", scope="${scope}"` },
    });
  }
  return { clientId: claims.client_id, scopes };
}
