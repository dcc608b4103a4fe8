import type { DataSource } from 'typeorm';
import type { DeviceAuthorizationStatus } from '../../db/entities/index';
import { AppError } from '../../errors/app-error';
import { recordEvent, type AuditClient } from '../audit/audit-events';
import { authenticationContext, type AuthenticationMethod } from '../oidc/authentication-context';
import { sessionsEndedSince } from '../oidc/provider-sign-outs';
import { deviceLabel } from '../sessions/devices';
import { sql } from '../sql';
import { consumeAll, rateLimited, rateLimiterFactory } from '../throttling/rate-limits';
import { formatUserCode, generateDeviceCode, generateUserCode, hashDeviceCode, normalizeUserCode } from './device-codes';

/**
 * The device authorization endpoint and the decisions of the /device page (RFC 8628 §3.1-3.3):
 * a CLI asks for codes, a person types the user code on the page, signs in, and approves or denies.
 * The token endpoint's side (polling, single redemption) is device-token.ts.
 */

export interface DeviceSettings {
  clientIds: readonly string[];
  codeTtlSeconds: number;
  pollIntervalSeconds: number;
  maxAuthorizationsPerIp: number;
  maxUserCodeFailuresPerIp: number;
  verificationUri: string;
  /** The window of both per-address limits (LOGIN_THROTTLE_WINDOW_SECONDS). */
  windowSeconds: number;
}

/** RFC 8628 §3.2 device authorization response. */
export interface DeviceAuthorizationResponse {
  device_code: string;
  user_code: string;
  verification_uri: string;
  verification_uri_complete: string;
  expires_in: number;
  interval: number;
}

/** What the page shows about the device that asks, so the person can tell it is theirs. */
export interface PendingDevice {
  id: string;
  userCode: string;
  clientId: string;
  scope: string | null;
  /** "Cat House CLI on Linux", from the user agent of the device's request. */
  device: string;
  userAgent: string | null;
  ip: string | null;
  createdAt: Date;
  expiresAt: Date;
}

/** Why a typed user code leads nowhere: the page says it in words. */
export type UserCodeProblem = 'invalid_user_code' | 'expired_token' | 'user_code_used';

/** A user code drawn twice (about one in 25 billion per stored code): drawn again. */
function userCodeTaken(err: unknown): boolean {
  const driverError = (err as { driverError?: { code?: string; constraint?: string } }).driverError;
  return driverError?.code === '23505' && driverError.constraint === 'uq_device_authorizations_user_code';
}

export function deviceAuthorizations(dataSource: DataSource, settings: DeviceSettings) {
  const limiter = rateLimiterFactory(dataSource);
  const starts = limiter('device_authorize', settings.maxAuthorizationsPerIp, settings.windowSeconds);
  const wrongCodes = limiter('device_user_code', settings.maxUserCodeFailuresPerIp, settings.windowSeconds);

  /** Refuses a client address that has typed too many wrong codes, before the lookup. */
  async function assertGuessesLeft(ip: string): Promise<void> {
    const used = await wrongCodes.get(ip);
    if (used && used.consumedPoints >= settings.maxUserCodeFailuresPerIp) {
      throw rateLimited('Too many wrong codes from this address', used.msBeforeNext);
    }
  }

  async function countWrongGuess(ip: string): Promise<void> {
    await wrongCodes.penalty(ip, 1);
  }

  return {
    /**
     * RFC 8628 §3.1-3.2: new codes for a public client named in DEVICE_CLIENT_IDS (invalid_client
     * otherwise), throttled per client address. A user code that collides with a stored one is
     * drawn again.
     */
    async start(input: { clientId: string | undefined; scope?: string | undefined }, client: AuditClient & { ip: string }): Promise<DeviceAuthorizationResponse> {
      if (!input.clientId || !settings.clientIds.includes(input.clientId)) {
        throw new AppError('invalid_client', 'Unknown client_id: device login is open to the clients in DEVICE_CLIENT_IDS.', {
          headers: { 'www-authenticate': 'Basic realm="cathouse", error="invalid_client"' },
        });
      }
      await consumeAll('Too many device logins from this address', [[starts, client.ip]]);
      const deviceCode = generateDeviceCode();
      for (let attempt = 0; ; attempt++) {
        const userCode = generateUserCode();
        try {
          await sql(
            dataSource,
            `INSERT INTO auth.device_authorizations (device_code_hash, user_code, client_id, scope, user_agent, ip, expires_at, interval_seconds)
             VALUES ($1, $2, $3, $4, $5, $6, statement_timestamp() + make_interval(secs => $7), $8)`,
            [
              hashDeviceCode(deviceCode),
              userCode,
              input.clientId,
              input.scope || null,
              client.userAgent?.slice(0, 512) ?? null,
              /^[0-9a-fA-F:.]+$/.test(client.ip) ? client.ip : null,
              settings.codeTtlSeconds,
              settings.pollIntervalSeconds,
            ],
          );
        } catch (err) {
          if (userCodeTaken(err) && attempt < 3) continue;
          throw err;
        }
        const shown = formatUserCode(userCode);
        const complete = new URL(settings.verificationUri);
        complete.searchParams.set('user_code', shown);
        return {
          device_code: deviceCode,
          user_code: shown,
          verification_uri: settings.verificationUri,
          verification_uri_complete: complete.href,
          expires_in: settings.codeTtlSeconds,
          interval: settings.pollIntervalSeconds,
        };
      }
    },

    /**
     * The pending device a typed user code names. Every code that leads nowhere (malformed,
     * unknown, expired, already decided) counts against the address; past the limit the address
     * gets rate_limited before any lookup.
     */
    async findPending(typed: string, ip: string): Promise<{ device: PendingDevice } | { problem: UserCodeProblem }> {
      await assertGuessesLeft(ip);
      const code = normalizeUserCode(typed);
      if (!code) {
        await countWrongGuess(ip);
        return { problem: 'invalid_user_code' };
      }
      const { rows } = await sql<{
        id: string;
        user_code: string;
        client_id: string;
        scope: string | null;
        user_agent: string | null;
        ip: string | null;
        created_at: Date;
        expires_at: Date;
        status: DeviceAuthorizationStatus;
        expired: boolean;
      }>(
        dataSource,
        `SELECT id, user_code, client_id, scope, user_agent, host(ip) AS ip, created_at, expires_at, status,
                expires_at <= statement_timestamp() AS expired
           FROM auth.device_authorizations WHERE user_code = $1`,
        [code],
      );
      const row = rows[0];
      const problem: UserCodeProblem | undefined = !row ? 'invalid_user_code' : row.expired ? 'expired_token' : row.status !== 'pending' ? 'user_code_used' : undefined;
      if (problem || !row) {
        await countWrongGuess(ip);
        return { problem: problem ?? 'invalid_user_code' };
      }
      return {
        device: {
          id: row.id,
          userCode: formatUserCode(row.user_code),
          clientId: row.client_id,
          scope: row.scope,
          device: deviceLabel(row.user_agent),
          userAgent: row.user_agent,
          ip: row.ip,
          createdAt: row.created_at,
          expiresAt: row.expires_at,
        },
      };
    },

    /**
     * Records the signed-in user's decision on a pending, unexpired device login: `not_pending`
     * when it is no longer pending (decided in another tab, expired), `signed_out` when every
     * session of the user ended after the page's sign-in (a password reset, logging out
     * everywhere: the page's sign-in ends with them). One conditional UPDATE: two decisions at
     * once cannot both win. `signIn` is how and when the person signed in on the page: the
     * redeemed session's amr and auth_time (device-token.ts).
     */
    async decide(
      id: string,
      userId: string,
      decision: 'approve' | 'deny',
      signIn: { methods: readonly AuthenticationMethod[]; at: Date },
      client: AuditClient,
    ): Promise<'decided' | 'not_pending' | 'signed_out'> {
      if (await sessionsEndedSince(dataSource, userId, signIn.at)) return 'signed_out';
      return dataSource.transaction(async (manager) => {
        const { rows } = await sql<{ client_id: string }>(
          manager,
          `UPDATE auth.device_authorizations SET status = $3, user_id = $2, decided_at = statement_timestamp(), amr = $4, auth_time = $5
            WHERE id = $1 AND status = 'pending' AND expires_at > statement_timestamp() RETURNING client_id`,
          [id, userId, decision === 'approve' ? 'approved' : 'denied', authenticationContext(signIn.methods).amr, signIn.at],
        );
        if (!rows[0]) return 'not_pending';
        await recordEvent(manager, {
          type: decision === 'approve' ? 'device_login_approved' : 'device_login_denied',
          userId,
          client,
          detail: { device_login_id: id, client_id: rows[0].client_id },
        });
        return 'decided';
      });
    },
  };
}

export type DeviceAuthorizations = ReturnType<typeof deviceAuthorizations>;
