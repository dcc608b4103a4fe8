import { createHash } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { AppError } from '../../errors/app-error';
import { recordEvent } from '../audit/audit-events';
import type { RepeatGuard } from '../audit/repeat-guard';
import type { Logger } from '../../logging/logger';
import { sql } from '../sql';
import { clientAddressKey } from '../throttling/client-address';
import { consumeAll, rateLimited, rateLimiterFactory } from '../throttling/rate-limits';
import { authenticateServiceClient, type ServiceClientInfo } from './service-clients';

/** How the client authenticated (RFC 6749 §2.3.1); the challenge of a failure depends on it. */
export type ClientAuthMethod = 'client_secret_basic' | 'client_secret_post';

export interface ClientCredentials {
  clientId: string;
  clientSecret: string;
  method: ClientAuthMethod;
}

export interface ClientAuthThrottleSettings {
  /** Wrong secrets per client from one client address within the window. */
  maxFailuresPerClient: number;
  /** Wrong secrets from one client address across all clients. */
  maxFailuresPerIp: number;
  windowSeconds: number;
  ipv6PrefixLength: number;
}

export interface ClientAuthenticator {
  /**
   * The authenticated, active client, or throws: invalid_client (401 with a challenge) for an
   * unknown client, a wrong or expired secret or a revoked client; rate_limited (429) once this
   * address has failed too often.
   */
  authenticate(credentials: ClientCredentials, ip: string, userAgent?: string): Promise<ServiceClientInfo>;
}

/** RFC 6749 §5.2: invalid_client is 401 with a WWW-Authenticate challenge of the scheme the client could use. */
export function invalidClient(detail = 'Client authentication failed: unknown client, wrong secret, or a revoked client.'): AppError {
  return new AppError('invalid_client', detail, { headers: { 'www-authenticate': 'Basic realm="cathouse", charset="UTF-8", error="invalid_client"' } });
}

/**
 * Client authentication with wrong secrets throttled in PostgreSQL (rate-limits.ts, shared by
 * every instance), per client and address and per address, as failed logins are.
 *
 * Unlike the login throttle, only failures are counted (checked before, counted after): the proxy
 * is one address making many concurrent, successful exchanges, and counting every attempt would
 * refuse it under load. A burst of concurrent wrong guesses can pass the limit by its own size,
 * which is harmless against 256-bit secrets: the throttle is there to cap noise and log floods.
 */
export function createClientAuthenticator(
  dataSource: DataSource,
  settings: ClientAuthThrottleSettings,
  audit?: { repeatGuard: RepeatGuard; logger?: Logger | undefined },
): ClientAuthenticator {
  const limiter = rateLimiterFactory(dataSource);
  const perClientAndIp = limiter('client_secret_client_ip', settings.maxFailuresPerClient, settings.windowSeconds);
  const perIp = limiter('client_secret_ip', settings.maxFailuresPerIp, settings.windowSeconds);
  const what = 'Too many failed client authentications';

  return {
    async authenticate(credentials, ip, userAgent) {
      const address = clientAddressKey(ip, settings.ipv6PrefixLength);
      // Hashed: keys stay short and a client id typed into the secret field never lands in the table.
      const pair = `${createHash('sha256').update(credentials.clientId).digest('base64url')}:${address}`;
      const [forPair, forIp] = await Promise.all([perClientAndIp.get(pair), perIp.get(address)]);
      const refusal = [
        [forPair, settings.maxFailuresPerClient],
        [forIp, settings.maxFailuresPerIp],
      ] as const;
      const waits = refusal.filter(([res, max]) => res !== null && res.consumedPoints >= max).map(([res]) => res!.msBeforeNext);
      if (waits.length > 0) throw rateLimited(what, Math.max(...waits));

      const client = await authenticateServiceClient(dataSource, credentials.clientId, credentials.clientSecret);
      if (client) return client;
      await consumeAll(what, [
        [perClientAndIp, pair],
        [perIp, address],
      ]);
      // Issue 22 L7: a trace of the failure, once per client id and address per window.
      if (audit && (await audit.repeatGuard.first('client_auth_failed', credentials.clientId, ip))) {
        // The id is stored only when it names a client: an unknown one may be a secret typed in the wrong field.
        const known = (await sql(dataSource, `SELECT 1 FROM auth.service_clients WHERE client_id = $1`, [credentials.clientId.slice(0, 200)])).rows.length > 0;
        await recordEvent(dataSource, {
          type: 'client_auth_failed',
          client: { ip, userAgent },
          detail: { client_id: known ? credentials.clientId : null, known_client: known, method: credentials.method },
        });
        audit.logger?.warn({ event: 'client_auth_failed', client_id: known ? credentials.clientId : null, ip }, 'client authentication failed (repeats from this address are not logged for a while)');
      }
      throw invalidClient();
    },
  };
}
