import type { Request, Response } from 'express';
import type { DataSource } from 'typeorm';
import type { AuthKeys } from '../../auth/tokens/auth-keys';
import type { AuthService } from '../../auth/auth-service';
import { createClientAuthenticator, invalidClient, type ClientCredentials } from '../../auth/tokens/client-authentication';
import { issueServiceToken } from '../../auth/tokens/client-credentials';
import { exchangeForInstallationToken } from '../../auth/tokens/token-exchange';
import type { RepeatGuard } from '../../auth/audit/repeat-guard';
import type { Config } from '../../config/config';
import type { Logger } from '../../logging/logger';
import { AppError } from '../../errors/app-error';
import type { z } from 'zod';
import type { ClientCredentialsGrant, TokenExchangeGrant } from '../openapi/schemas';

export interface ClientGrantsDeps {
  dataSource: DataSource;
  keys: AuthKeys;
  config: Config;
  service: AuthService;
  /** Bounds the client_auth_failed and token_exchange_refused events (issue 22 L7). */
  repeatGuard?: RepeatGuard;
  logger?: Logger;
}

type ClientGrantInput = z.output<typeof ClientCredentialsGrant> | z.output<typeof TokenExchangeGrant>;

/** Decodes one half of an RFC 6749 §2.3.1 Basic credential (form-urlencoded before base64). */
function formDecode(value: string): string {
  return decodeURIComponent(value.replace(/\+/g, ' '));
}

/**
 * The client's credentials from `Authorization: Basic` (client_secret_basic) or from the body
 * (client_secret_post). RFC 6749 §2.3: one method per request; none at all is invalid_client.
 */
export function presentedClientCredentials(req: Request, body: { client_id?: string | undefined; client_secret?: string | undefined }): ClientCredentials {
  const header = req.headers.authorization;
  if (header !== undefined) {
    if (body.client_secret !== undefined) throw new AppError('invalid_request', 'Authenticate the client one way: HTTP Basic or client_secret in the body, not both.');
    const match = /^Basic +([A-Za-z0-9+/]+=*) *$/i.exec(header);
    if (!match) throw invalidClient('The Authorization header must be "Basic <base64(client_id:client_secret)>".');
    const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    let clientId: string;
    let clientSecret: string;
    try {
      clientId = formDecode(decoded.slice(0, colon));
      clientSecret = formDecode(decoded.slice(colon + 1));
    } catch {
      throw invalidClient('The Basic credentials are not form-urlencoded (RFC 6749 §2.3.1).');
    }
    if (colon < 0 || clientId === '' || clientSecret === '') throw invalidClient('The Basic credentials must be client_id:client_secret.');
    if (body.client_id !== undefined && body.client_id !== clientId) throw new AppError('invalid_request', 'client_id in the body differs from the one in the Authorization header.');
    return { clientId, clientSecret, method: 'client_secret_basic' };
  }
  if (body.client_id === undefined || body.client_secret === undefined) {
    throw invalidClient('Client authentication is required: HTTP Basic (client_secret_basic), or client_id and client_secret in the body (client_secret_post).');
  }
  return { clientId: body.client_id, clientSecret: body.client_secret, method: 'client_secret_post' };
}

/** The token endpoint's client grants: client credentials (RFC 6749 §4.4) and token exchange (RFC 8693). */
export function clientGrants({ dataSource, keys, config, service, repeatGuard, logger }: ClientGrantsDeps) {
  const authenticator = createClientAuthenticator(
    dataSource,
    {
      maxFailuresPerClient: config.tokens.clientAuthMaxFailures,
      maxFailuresPerIp: config.auth.loginMaxFailuresPerIp,
      windowSeconds: config.auth.loginThrottleWindowSeconds,
      ipv6PrefixLength: config.auth.clientIpv6Prefix,
    },
    repeatGuard && { repeatGuard, logger },
  );
  const exchangeDeps = {
    dataSource,
    keys: keys.signingKeys,
    settings: { issuer: config.auth.issuer, ttlSeconds: config.tokens.installationTokenTtlSeconds },
    authenticateUser: (token: string) => service.authenticate(token),
    repeatGuard,
    logger,
  };
  const send = (res: Response, body: Record<string, unknown>) =>
    res.status(200).set({ 'cache-control': 'no-store', pragma: 'no-cache' }).json(body);

  return async (req: Request, res: Response, input: ClientGrantInput, ip: string): Promise<void> => {
    const requester = { ip, userAgent: req.get('user-agent') };
    const client = await authenticator.authenticate(presentedClientCredentials(req, input), ip, requester.userAgent);
    if (input.grant_type === 'client_credentials') {
      const grant = issueServiceToken(
        keys.signingKeys,
        { issuer: config.auth.issuer, audience: config.tokens.serviceAudience, ttlSeconds: config.tokens.serviceTokenTtlSeconds },
        client,
        input.scope,
      );
      send(res, { access_token: grant.accessToken, token_type: 'Bearer', expires_in: grant.expiresIn, scope: grant.scope });
      return;
    }
    const grant = await exchangeForInstallationToken(exchangeDeps, client, {
      subjectToken: input.subject_token,
      subjectTokenType: input.subject_token_type,
      requestedTokenType: input.requested_token_type,
      resource: input.resource,
      installationId: input.installation_id,
      audience: input.audience,
    }, requester);
    send(res, { access_token: grant.accessToken, issued_token_type: grant.issuedTokenType, token_type: 'Bearer', expires_in: grant.expiresIn });
  };
}
