import { createHmac } from 'node:crypto';
import ipaddr from 'ipaddr.js';
import type { DataSource, EntityManager } from 'typeorm';
import { AppError } from '../../errors/app-error';
import { sql } from '../sql';

/**
 * The security audit log (auth.audit_events): what happened to an account, when, from where and
 * by whom. Every event is written by the action that causes it, in the same transaction as the
 * change it records, so a rolled-back action leaves no event and a committed one always has its
 * event. A refresh that rotates normally is not an event (it would double the writes of the
 * hottest path); reuse is.
 */
export const AUDIT_EVENT_TYPES = [
  // Issue 11: sessions, logins and the admin's changes.
  'user_registered',
  'login_succeeded',
  'login_failed',
  'login_throttled',
  'logout',
  'session_ended',
  'refresh_token_reused',
  'role_changed',
  'active_changed',
  // Issue 10 (account lifecycle) records these through recordEvent too.
  'email_verified',
  'password_reset_requested',
  'password_reset_completed',
  'password_changed',
  'email_changed',
  'account_deleted',
  // A wrong password at password change, email change or deletion (the session's holder lacks it).
  'password_check_failed',
  // Issue 22 L7: refusals that left no trace, each at most once per subject and address per window (repeat-guard.ts).
  'client_auth_failed',
  'token_exchange_refused',
  'link_token_refused',
  // Issue 27: the OpenID provider (consents bound to installations, clients, refused token requests).
  'oidc_consent_granted',
  'oidc_consent_revoked',
  'oidc_consent_denied',
  'oidc_token_refused',
  'oidc_client_registered',
  'oidc_client_deleted',
  // The provider's browser sessions (and, after a reset or an admin's action, the cats' tokens) ended with the user's sessions.
  'oidc_sessions_ended',
  // Issue 25: identities of other providers and guest players.
  'identity_linked',
  'identity_unlinked',
  'identity_takeover_defence',
  'guest_created',
  'guest_upgraded',
  // Issue 28: developer credentials (the CLI's device login, personal access tokens).
  'device_login_approved',
  'device_login_denied',
  'device_login_redeemed',
  'pat_created',
  'pat_used',
  'pat_refused',
  'pat_revoked',
  // Issue 26: second factors and step-up (src/auth/factors).
  'factor_added',
  'factor_removed',
  'recovery_codes_generated',
  'recovery_code_used',
  'second_factor_failed',
  'step_up',
  'factors_reset',
  'passkey_clone_suspected',
  // Issue 30: a login from a device family and network the account had not used (abuse/new-device.ts).
  'new_device_notified',
] as const;

export type AuditEventType = (typeof AUDIT_EVENT_TYPES)[number];

/** Why a login failed, in `detail.reason` of login_failed. */
export type LoginFailureReason = 'wrong_password' | 'unknown_email' | 'account_disabled';

export interface AuditClient {
  ip?: string | undefined;
  userAgent?: string | undefined;
}

export interface AuditEventInput {
  type: AuditEventType;
  /** The account the event is about; null for a failed login with an unknown email. */
  userId?: string | null | undefined;
  /** Who did it when that is not the user (an admin); stored only when it differs from userId. */
  actorId?: string | null | undefined;
  sessionId?: string | null | undefined;
  client?: AuditClient | undefined;
  /** A small JSON object: reason codes, from/to values, counts. Never a secret (refused). */
  detail?: Record<string, unknown> | undefined;
}

/** Field names that must never reach the log, whatever the caller meant (a password, a token...). */
const SECRET_FIELD = /pass(word|wd|phrase)|token$|secret|authorization|cookie|private_?key/i;

function assertNoSecrets(detail: Record<string, unknown>): void {
  for (const key of Object.keys(detail)) {
    // A programming error, not a user's: the event would store a secret for 90 days.
    if (SECRET_FIELD.test(key)) throw new TypeError(`audit event detail may not carry "${key}"`);
  }
}

/** inet refuses anything that is not an address; such a value (should not happen) is not stored. */
function auditIp(ip: string | undefined): string | null {
  return ip && ipaddr.isValid(ip) ? ip : null;
}

/**
 * Appends one event, on the caller's transaction when given its EntityManager (the normal case:
 * the event commits or rolls back with the change), or as a statement of its own on a DataSource
 * (events that change nothing else, such as a failed login). Throws on a database error, like
 * any other write of the transaction.
 */
export async function recordEvent(executor: DataSource | EntityManager, event: AuditEventInput): Promise<void> {
  const detail = event.detail ?? {};
  assertNoSecrets(detail);
  const actorId = event.actorId && event.actorId !== event.userId ? event.actorId : null;
  await sql(
    executor,
    `INSERT INTO auth.audit_events (type, user_id, actor_id, session_id, ip, user_agent, detail)
     VALUES ($1, $2, $3, $4, $5, $6, $7)`,
    [
      event.type,
      event.userId ?? null,
      actorId,
      event.sessionId ?? null,
      auditIp(event.client?.ip),
      event.client?.userAgent?.slice(0, 512) ?? null,
      JSON.stringify(detail),
    ],
  );
}

/**
 * A keyed hash of a normalised email, for events about an email that may not be an account
 * (a failed or throttled login). Keyed with the server secret so that the log cannot be used to
 * test whether an address tried to log in (a plain SHA-256 of a known email would match); the
 * same email always gives the same value, so repeated attempts can still be correlated.
 */
export function hashEmailForAudit(secret: Buffer, normalizedEmail: string): string {
  return createHmac('sha256', secret).update(`audit-email:${normalizedEmail}`, 'utf8').digest('base64url');
}

/**
 * A throttled login: linked to the account when the email is one, else stored with the hashed
 * email only, in one statement (the lookup is the INSERT's own subquery).
 */
export async function recordThrottledLogin(
  dataSource: DataSource,
  normalizedEmail: string,
  emailHash: string,
  client: AuditClient,
  retryAfterSeconds: number | undefined,
): Promise<void> {
  await sql(
    dataSource,
    `WITH account AS (SELECT (SELECT id FROM auth.users WHERE email = $1) AS id)
     INSERT INTO auth.audit_events (type, user_id, ip, user_agent, detail)
     SELECT 'login_throttled', account.id, $2, $3,
            CASE WHEN account.id IS NULL THEN jsonb_build_object('email_hash', $4::text) ELSE '{}'::jsonb END
            || jsonb_strip_nulls(jsonb_build_object('retry_after', $5::int))
       FROM account`,
    [normalizedEmail, auditIp(client.ip), client.userAgent?.slice(0, 512) ?? null, emailHash, retryAfterSeconds ?? null],
  );
}

/** An event as the API shows it. */
export interface PublicAuditEvent {
  id: string;
  occurred_at: string;
  type: string;
  user_id: string | null;
  actor_id: string | null;
  session_id: string | null;
  ip: string | null;
  user_agent: string | null;
  detail: Record<string, unknown>;
}

export interface EventQuery {
  userId?: string | undefined;
  type?: string | undefined;
  /** An event id from a previous page's `next_before`: only older events. */
  before?: string | undefined;
  limit: number;
}

export interface EventPage {
  events: PublicAuditEvent[];
  /** Pass as `before` for the next (older) page; null on the last page. */
  next_before: string | null;
}

const EVENT_ID = /^[1-9][0-9]{0,18}$/;
/** Event ids are bigint: a 19-digit cursor above this made PostgreSQL fail the cast (500), issue 22 L2. */
const MAX_EVENT_ID = 9_223_372_036_854_775_807n;

/**
 * One page of events, newest first, keyset-paged on the id (the order they were written): rows
 * added while a client pages are newer than its cursor and never shift its pages. Served by
 * (user_id, id), (type, id) or the primary key; never an OFFSET.
 */
export async function listEvents(executor: DataSource | EntityManager, query: EventQuery): Promise<EventPage> {
  if (query.before !== undefined && (!EVENT_ID.test(query.before) || BigInt(query.before) > MAX_EVENT_ID)) {
    throw new AppError('invalid_request', 'The request query is invalid: before: must be an event id from next_before.', {
      fields: { invalid_params: [{ name: 'before', reason: 'must be an event id' }] },
    });
  }
  const { text, params } = eventPageQuery(query);
  const { rows } = await sql<Omit<PublicAuditEvent, 'occurred_at'> & { occurred_at: Date }>(executor, text, params);
  const page = rows.slice(0, query.limit);
  return {
    events: page.map((r) => ({ ...r, id: String(r.id), occurred_at: r.occurred_at.toISOString() })),
    next_before: rows.length > query.limit ? String(page[page.length - 1]!.id) : null,
  };
}

/** The page query (exported for the EXPLAIN tests): one row more than the limit tells whether another page exists. */
export function eventPageQuery(query: EventQuery): { text: string; params: unknown[] } {
  const where: string[] = [];
  const params: unknown[] = [];
  if (query.userId !== undefined) where.push(`user_id = $${params.push(query.userId)}`);
  if (query.type !== undefined) where.push(`type = $${params.push(query.type)}`);
  if (query.before !== undefined) where.push(`id < $${params.push(query.before)}::bigint`);
  const text = `SELECT id, occurred_at, type, user_id, actor_id, session_id, host(ip) AS ip, user_agent, detail
     FROM auth.audit_events ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
    ORDER BY id DESC LIMIT $${params.push(query.limit + 1)}`;
  return { text, params };
}
