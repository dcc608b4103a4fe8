import type { DataSource, EntityManager } from 'typeorm';
import type { UserRole } from '../../db/entities/index';
import { anonymity, type LiveUser } from '../accounts/public-user';
import { randomUUID } from 'node:crypto';
import { isUuid } from '../ids';
import { firstRefreshToken, hashRefreshToken, looksLikeLegacyRefreshToken, parseRefreshToken } from './refresh-tokens';
import { sql } from '../sql';
import type { TokenSecrets } from '../tokens/token-secret';
import type { SessionAuthentication } from '../tokens/access-tokens';
import { asMethods, authenticationContext, type AuthenticationMethod, type ProviderSignIn } from '../oidc/authentication-context';

/**
 * Sessions and their refresh-token families (RFC 9700 §4.14.2).
 *
 * One session is one login; its refresh tokens form a chain where each token's child is derived
 * from it (refresh-tokens.ts), and each token names its session and generation. The session row
 * is the whole state of the family: the current generation, the hash of the current token and
 * when it was rotated. The previous token is recognised by deriving its child and comparing that
 * with the current hash; anything older by its generation. So a rotation is one UPDATE of one row
 * found by primary key, and every decision about a family is made on that row, under its row lock,
 * which makes PostgreSQL the judge of concurrent refreshes, also across service instances.
 * Nothing relies on session state, so all of it works through a transaction-mode pooler.
 */

export interface SessionSettings {
  /** Lifetime of a refresh token; a session ends when it goes that long unused. */
  refreshTokenTtlSeconds: number;
  /** How long after a rotation the parent still gets the same child back. */
  reuseIntervalSeconds: number;
  /** Absolute lifetime: no refresh extends a session past created_at + this (L6, like Supabase's time-box). */
  maxLifetimeSeconds: number;
}

export interface ClientInfo {
  userAgent?: string | undefined;
  ip?: string | undefined;
  /**
   * Issue 30: the language of the request (its Accept-Language among the mail locales, or one the
   * body chose), given only where a request may create an account: the new account's locale.
   */
  locale?: string | null | undefined;
}

export interface IssuedRefreshToken {
  sessionId: string;
  refreshToken: string;
}

export interface RotatedRefreshToken extends IssuedRefreshToken {
  userId: string;
  role: UserRole;
  /** For the access token's email_verified claim. */
  emailVerified: boolean;
  /** The session's amr and auth_time, for the access token (issue 26). */
  authentication: SessionAuthentication;
}

/** A session's stored amr and auth time as the access token carries them (acr derived from the methods). */
export function sessionAuthentication(amr: readonly string[], authTime: Date): SessionAuthentication {
  const context = authenticationContext(asMethods(amr));
  return { amr: context.amr, acr: context.acr, authTime };
}

export type SessionEndReason =
  | 'logout'
  | 'logout_global'
  | 'logout_others'
  | 'refresh_token_reused'
  | 'user_deactivated'
  | 'ended_by_user'
  | 'ended_by_admin'
  | 'password_changed'
  | 'password_reset'
  | 'account_deleted'
  // Issue 25: a provider proved the address of an account registered with an unverified password.
  | 'identity_takeover_defence'
  | 'factors_reset';

/**
 * What a sign-in finished by a second factor brings to the session it starts (AuthService's
 * startVerifiedSession): `inTransaction` runs first in the session's transaction (the MFA challenge
 * is spent with the session), and `providerSignIn` names the provider sign-in that proved the first
 * factor, so the sign-in is audited and counted as that provider's, as it is without a second factor.
 */
export interface VerifiedSignIn {
  inTransaction?: ((manager: EntityManager) => Promise<void>) | undefined;
  providerSignIn?: ProviderSignIn | undefined;
}

/**
 * Starts a session (a login) and issues the first refresh token of its family: one INSERT. `methods`
 * are how the user proved who they are (RFC 8176), remembered with the time for the access tokens:
 * now, or `authTime` when the sign-in happened before the session (a device approved on /device).
 */
export async function startSession(
  manager: EntityManager,
  userId: string,
  client: ClientInfo,
  settings: SessionSettings,
  secrets: TokenSecrets,
  methods: readonly AuthenticationMethod[] = ['pwd'],
  authTime?: Date,
): Promise<IssuedRefreshToken & { authentication: SessionAuthentication }> {
  // The id is made here because the token names it: the row and its first token in one statement.
  const sessionId = randomUUID();
  const refreshToken = firstRefreshToken(secrets, sessionId);
  const { rows } = await sql<{ auth_time: Date }>(
    manager,
    `INSERT INTO auth.sessions (id, user_id, expires_at, user_agent, ip, refresh_generation, refresh_token_hash, amr, auth_time)
     VALUES ($1, $2, statement_timestamp() + make_interval(secs => LEAST($3::int, $7::int)), $4, $5, 0, $6, $8, COALESCE($9::timestamptz, statement_timestamp()))
     RETURNING auth_time`,
    [
      sessionId,
      userId,
      settings.refreshTokenTtlSeconds,
      client.userAgent?.slice(0, 512) ?? null,
      normalizeIp(client.ip),
      hashRefreshToken(refreshToken),
      settings.maxLifetimeSeconds,
      authenticationContext(methods).amr,
      authTime ?? null,
    ],
  );
  return { sessionId, refreshToken, authentication: sessionAuthentication(authenticationContext(methods).amr, rows[0]!.auth_time) };
}
/**
 * The session and user a refresh token belongs to, whatever its state, for logout; `current` says
 * whether it is the session's latest token (not rotated away).
 */
export async function findRefreshTokenOwner(
  dataSource: DataSource,
  secrets: TokenSecrets,
  presented: string,
): Promise<{ sessionId: string; userId: string; sessionLive: boolean; current: boolean } | undefined> {
  const token = parseRefreshToken(secrets, presented);
  let rows: { session_id: string; user_id: string; session_live: boolean; current: boolean }[];
  if (token) {
    ({ rows } = await sql(
      dataSource,
      `SELECT s.id AS session_id, s.user_id, (s.revoked_at IS NULL AND s.expires_at > statement_timestamp()) AS session_live,
              (s.refresh_generation = $2 AND s.refresh_token_hash = $3) AS current
         FROM auth.sessions s WHERE s.id = $1`,
      [token.sessionId, token.generation, hashRefreshToken(presented)],
    ));
  } else if (looksLikeLegacyRefreshToken(presented)) {
    ({ rows } = await sql(
      dataSource,
      `SELECT rt.session_id, s.user_id, (s.revoked_at IS NULL AND s.expires_at > statement_timestamp()) AS session_live,
              (rt.used_at IS NULL AND s.refresh_token_hash IS NULL) AS current
         FROM auth.refresh_tokens rt JOIN auth.sessions s ON s.id = rt.session_id WHERE rt.token_hash = $1`,
      [hashRefreshToken(presented)],
    ));
  } else {
    return undefined;
  }
  const row = rows[0];
  return row && { sessionId: row.session_id, userId: row.user_id, sessionLive: row.session_live, current: row.current };
}

export interface LiveSession {
  sessionId: string;
  userId: string;
  role: UserRole;
  /** The user as the API shows it, read in the same query (GET /me needs nothing more). */
  user: LiveUser;
}

/**
 * The session `sid` names, if it is still live and its user active and the same as `sub`. The
 * auth service checks this on its own endpoints, so a logout or a deactivation takes effect at
 * once there rather than when the access token expires. One round trip, user included.
 */
export async function findLiveSession(executor: DataSource | EntityManager, sessionId: string, userId: string): Promise<LiveSession | undefined> {
  if (!isUuid(sessionId) || !isUuid(userId)) return undefined;
  // auth.live_session_user (migrations 1795602888948, 1796671533784 for locale) is this query in
  // PL/pgSQL, planned once per server connection rather than on every request (the reason is rotate_refresh_token's):
  //   SELECT u.email, u.role, u.display_name, u.created_at, u.email_verified_at IS NOT NULL, u.locale
  //     FROM auth.sessions s JOIN auth.users u ON u.id = s.user_id
  //    WHERE s.id = <session> AND s.user_id = <user> AND s.revoked_at IS NULL AND s.expires_at > now AND u.is_active
  // It answers one row, of NULLs when the session is not live.
  const { rows } = await sql<{ email: string | null; role: UserRole; display_name: string | null; created_at: Date; email_verified: boolean; locale: string | null }>(
    executor,
    `SELECT email, role, display_name, created_at, email_verified, locale FROM auth.live_session_user($1, $2)`,
    [sessionId, userId],
  );
  const row = rows[0];
  if (!row?.email) return undefined;
  const user: LiveUser = {
    id: userId,
    ...anonymity(row.role, row.email),
    role: row.role,
    display_name: row.display_name,
    email_verified: row.email_verified,
    is_active: true,
    created_at: row.created_at.toISOString(),
    locale: row.locale,
  };
  return { sessionId, userId, role: row.role, user };
}

/** inet accepts IPv4-mapped IPv6 as is; anything unparsable (should not happen) is not stored. */
function normalizeIp(ip: string | undefined): string | null {
  if (!ip) return null;
  return /^[0-9a-fA-F:.]+$/.test(ip) ? ip : null;
}
