import type { DataSource } from 'typeorm';
import type { UserRole } from '../../db/entities/index';
import { AppError } from '../../errors/app-error';
import { recordEvent, type AuditClient } from '../audit/audit-events';
import { asMethods } from '../oidc/authentication-context';
import { sessionsEndedSince } from '../oidc/provider-sign-outs';
import type { TokenGrant } from '../principal';
import { startSession, type SessionSettings } from '../sessions/sessions';
import type { SessionAuthentication } from '../tokens/access-tokens';
import { sql } from '../sql';
import type { TokenSecrets } from '../tokens/token-secret';
import { hashDeviceCode } from './device-codes';

/**
 * The device code grant at /token (RFC 8628 §3.4-3.5): the CLI polls with its device code until
 * the person has decided. Every poll is one transaction on the device authorization's row, read
 * FOR UPDATE: concurrent polls (twenty at once, from several instances, through a transaction-mode
 * pooler) queue on that row lock, the first that finds it approved starts the session and marks it
 * redeemed, and every later one finds it redeemed. PostgreSQL decides; no instance's memory does.
 *
 * The answers, in the order they are judged:
 *   unknown device code, another client's, or already redeemed   invalid_grant
 *   denied                                                         access_denied
 *   expired                                                        expired_token
 *   polled sooner than the interval after the last poll            slow_down (interval + 5 s, kept)
 *   not decided yet                                                authorization_pending
 *   approved                                                       a token response; the session is
 *                                                                  the CLI's, listed in GET me/sessions
 */
export const DEVICE_CODE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';

/** A poll this much sooner than the interval is still on time: the CLI's clock and the network jitter. */
const POLL_TOLERANCE = 0.8;

export interface DeviceTokenDeps {
  dataSource: DataSource;
  sessionSettings: SessionSettings;
  tokenSecrets: TokenSecrets;
  clientIds: readonly string[];
  /** Signs the session's first access token (AuthService.accessToken). */
  accessToken(subject: { userId: string; sessionId: string; role: UserRole; emailVerified: boolean; authentication: SessionAuthentication }): { accessToken: string; expiresIn: number };
}

interface PollRow {
  id: string;
  client_id: string;
  status: string;
  user_id: string | null;
  user_agent: string | null;
  ip: string | null;
  amr: string[] | null;
  auth_time: Date | null;
  /** Set with the approval (auth_time is, since the amr column; older approvals have only this). */
  decided_at: Date;
  expired: boolean;
  too_fast: boolean;
}

const oauth = (code: 'invalid_grant' | 'access_denied' | 'expired_token' | 'slow_down' | 'authorization_pending', detail: string) => new AppError(code, detail);

/** One poll of the device code grant: a TokenGrant, or throws the RFC 8628 §3.5 error it deserves. */
export async function pollDeviceCode(deps: DeviceTokenDeps, input: { deviceCode: string; clientId: string | undefined }, client: AuditClient): Promise<TokenGrant> {
  if (!input.clientId || !deps.clientIds.includes(input.clientId)) {
    throw new AppError('invalid_client', 'Unknown client_id: device login is open to the clients in DEVICE_CLIENT_IDS.', {
      headers: { 'www-authenticate': 'Basic realm="cathouse", error="invalid_client"' },
    });
  }
  // The transaction returns a refusal rather than throwing it: a throw would roll back the poll's
  // own bookkeeping (last_polled_at, the raised interval).
  const outcome = await deps.dataSource.transaction(async (manager): Promise<TokenGrant | AppError> => {
    const { rows } = await sql<PollRow>(
      manager,
      `SELECT id, client_id, status, user_id, user_agent, host(ip) AS ip, amr, auth_time, decided_at,
              expires_at <= statement_timestamp() AS expired,
              COALESCE(statement_timestamp() < last_polled_at + make_interval(secs => interval_seconds * ${POLL_TOLERANCE}), false) AS too_fast
         FROM auth.device_authorizations WHERE device_code_hash = $1 FOR UPDATE`,
      [hashDeviceCode(input.deviceCode)],
    );
    const row = rows[0];
    if (!row || row.client_id !== input.clientId) throw oauth('invalid_grant', 'The device code is unknown or was issued to another client.');
    if (row.status === 'redeemed') throw oauth('invalid_grant', 'The device code has already been used.');
    if (row.status === 'denied') throw oauth('access_denied', 'The user denied the device login.');
    if (row.expired) throw oauth('expired_token', 'The device code has expired: start the login again.');
    if (row.too_fast) {
      // The raised interval is stored, so it holds for "this and all subsequent requests" (§3.5).
      await sql(manager, `UPDATE auth.device_authorizations SET interval_seconds = interval_seconds + 5, last_polled_at = statement_timestamp() WHERE id = $1`, [row.id]);
      return oauth('slow_down', 'Polling too fast: wait 5 seconds more between polls.');
    }
    if (row.status === 'pending') {
      await sql(manager, `UPDATE auth.device_authorizations SET last_polled_at = statement_timestamp() WHERE id = $1`, [row.id]);
      return oauth('authorization_pending', 'The user has not decided yet.');
    }
    // Approved: the user must still be active; the session is the device's (its user agent and address),
    // proven as the approver signed in on the page (both factors when it asked a second one, and when).
    // An approval from before the amr column: a password sign-in now, as then.
    const { rows: users } = await sql<{ role: UserRole; email_verified: boolean }>(
      manager,
      `SELECT role, email_verified_at IS NOT NULL AS email_verified FROM auth.users WHERE id = $1 AND is_active`,
      [row.user_id],
    );
    const user = users[0];
    if (!user) throw oauth('access_denied', 'The account that approved this login is deactivated.');
    // Every session of the user ended after the approver signed in on the page (a password reset,
    // logging out everywhere): the approval ended with them, as an unredeemed authorization code
    // of the OpenID provider does. Final, so the person starts the login again, signed in anew.
    if (await sessionsEndedSince(manager, row.user_id!, row.auth_time ?? row.decided_at)) {
      await sql(manager, `UPDATE auth.device_authorizations SET status = 'denied', last_polled_at = statement_timestamp() WHERE id = $1`, [row.id]);
      return oauth('access_denied', "The account's sessions were ended after this login was approved: start the login again.");
    }
    const issued = await startSession(
      manager,
      row.user_id!,
      { userAgent: row.user_agent ?? undefined, ip: row.ip ?? undefined },
      deps.sessionSettings,
      deps.tokenSecrets,
      row.amr ? asMethods(row.amr) : ['pwd'],
      row.auth_time ?? undefined,
    );
    await sql(
      manager,
      `UPDATE auth.device_authorizations SET status = 'redeemed', session_id = $2, last_polled_at = statement_timestamp() WHERE id = $1`,
      [row.id, issued.sessionId],
    );
    await recordEvent(manager, {
      type: 'device_login_redeemed',
      userId: row.user_id,
      sessionId: issued.sessionId,
      client,
      detail: { device_login_id: row.id, client_id: row.client_id },
    });
    const { accessToken, expiresIn } = deps.accessToken({
      userId: row.user_id!,
      sessionId: issued.sessionId,
      role: user.role,
      emailVerified: user.email_verified,
      authentication: issued.authentication,
    });
    return { accessToken, expiresIn, refreshToken: issued.refreshToken, sessionId: issued.sessionId };
  });
  if (outcome instanceof AppError) throw outcome;
  return outcome;
}
