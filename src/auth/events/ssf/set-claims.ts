import type { SecurityEventType, StreamEventType } from '../catalogue';
import type { EventRow } from '../webhook-message';

/**
 * Security events as Shared Signals (issue 29): which CAEP or RISC event each of ours is, and its
 * subject. CAEP 1.0 session-revoked, credential-change and token-claims-change; RISC 1.0
 * account-disabled, account-enabled and account-purged; SSF 1.0's own verification and
 * stream-updated. An event with no Shared Signals meaning (an email change, a disconnected app) is
 * for webhooks only.
 */
const CAEP = 'https://schemas.openid.net/secevent/caep/event-type/';
const RISC = 'https://schemas.openid.net/secevent/risc/event-type/';
const SSF = 'https://schemas.openid.net/secevent/ssf/event-type/';

export const SET_EVENT_URIS = {
  'session.revoked': `${CAEP}session-revoked`,
  'user.sessions_revoked': `${CAEP}session-revoked`,
  'user.password_changed': `${CAEP}credential-change`,
  'user.password_reset': `${CAEP}credential-change`,
  'factor.added': `${CAEP}credential-change`,
  'factor.removed': `${CAEP}credential-change`,
  'pat.revoked': `${CAEP}credential-change`,
  'service_client.revoked': `${CAEP}credential-change`,
  'user.role_changed': `${CAEP}token-claims-change`,
  'user.deactivated': `${RISC}account-disabled`,
  'user.reactivated': `${RISC}account-enabled`,
  'user.deleted': `${RISC}account-purged`,
} as const satisfies Partial<Record<SecurityEventType, string>>;

export const STREAM_EVENT_URIS: Record<StreamEventType, string> = {
  'ssf.verification': `${SSF}verification`,
  'ssf.stream_updated': `${SSF}stream-updated`,
};

/** Every event type URI a stream may ask for (events_supported). */
export const SUPPORTED_EVENT_URIS: string[] = [...new Set(Object.values(SET_EVENT_URIS))];

/** Our event types that a stream asking for these URIs receives. */
export function typesForUris(uris: readonly string[]): SecurityEventType[] {
  return (Object.entries(SET_EVENT_URIS) as [SecurityEventType, string][]).filter(([, uri]) => uris.includes(uri)).map(([type]) => type);
}

/** RFC 9493 subject identifiers. */
export type SubjectIdentifier =
  | { format: 'iss_sub'; iss: string; sub: string }
  | { format: 'email'; email: string }
  | { format: 'opaque'; id: string }
  | { format: 'complex'; user?: SubjectIdentifier; session?: SubjectIdentifier };

export interface SetContext {
  /** The transmitter's issuer (SSF_ISSUER): `iss` of the SET. */
  issuer: string;
  /** The issuer of the tokens whose `sub` names users and clients (JWT_ISSUER): `iss` of iss_sub subjects. */
  subjectIssuer: string;
  /** The stream's receiver (its service client id): `aud`. */
  audience: string;
  /** The user's current address when the stream names users by email (null: fall back to iss_sub). */
  email: string | null;
}

const CREDENTIAL_TYPES: Record<string, string> = { totp: 'app', passkey: 'fido2-platform', webauthn: 'fido2-roaming', recovery_codes: 'app' };

const REASON_WORDS: Record<string, string> = {
  logout: 'The user signed out',
  logout_global: 'The user signed out everywhere',
  logout_others: 'The user signed out their other sessions',
  refresh_token_reused: 'A rotated refresh token was used again (possible theft)',
  user_deactivated: 'An admin deactivated the account',
  ended_by_user: 'The user ended this session from their device list',
  ended_by_admin: 'An admin ended the sessions',
  password_changed: 'The password was changed',
  password_reset: 'The password was reset',
  account_deleted: 'The account was deleted',
};

function userSubject(ctx: SetContext, userId: string): SubjectIdentifier {
  return ctx.email ? { format: 'email', email: ctx.email } : { format: 'iss_sub', iss: ctx.subjectIssuer, sub: userId };
}

/** The `sub_id` and event object of one event, or undefined when it has no Shared Signals form. */
function eventOf(event: EventRow, ctx: SetContext): { subId: SubjectIdentifier; uri: string; body: Record<string, unknown> } | undefined {
  const data = event.data;
  const common = {
    event_timestamp: Math.floor(event.occurred_at.getTime() / 1000),
    ...(typeof data.initiated_by === 'string' ? { initiating_entity: data.initiated_by } : {}),
  };
  const reason = (text: string) => ({ reason_admin: { en: text } });
  const user = event.user_id ? userSubject(ctx, event.user_id) : undefined;
  switch (event.type as SecurityEventType | StreamEventType) {
    case 'session.revoked':
      return {
        uri: SET_EVENT_URIS['session.revoked'],
        subId: { format: 'complex', user, session: { format: 'opaque', id: String(data.session_id) } },
        body: { ...common, ...reason(REASON_WORDS[String(data.reason)] ?? 'The session was revoked') },
      };
    case 'user.sessions_revoked':
      // A complex subject with the user alone: every session of the user (CAEP 1.0 §3.1).
      return {
        uri: SET_EVENT_URIS['user.sessions_revoked'],
        subId: { format: 'complex', user },
        body: { ...common, ...reason(`${REASON_WORDS[String(data.reason)] ?? 'Every session was revoked'}: every session of the user ended`) },
      };
    case 'user.password_changed':
    case 'user.password_reset':
      return {
        uri: SET_EVENT_URIS[event.type as 'user.password_changed'],
        subId: user!,
        body: { ...common, credential_type: 'password', change_type: 'update', ...reason(event.type === 'user.password_reset' ? 'The password was reset' : 'The password was changed') },
      };
    case 'factor.added':
    case 'factor.removed':
      return {
        uri: SET_EVENT_URIS['factor.added'],
        subId: user!,
        body: {
          ...common,
          credential_type: CREDENTIAL_TYPES[String(data.factor_type)] ?? 'app',
          change_type: event.type === 'factor.added' ? 'create' : 'delete',
          ...reason(event.type === 'factor.added' ? 'A factor was added' : 'A factor was removed'),
        },
      };
    case 'pat.revoked':
      return { uri: SET_EVENT_URIS['pat.revoked'], subId: user!, body: { ...common, credential_type: 'personal-access-token', change_type: 'revoke', ...reason('A personal access token was revoked') } };
    case 'service_client.revoked': {
      const client = event.subject_key.slice('client:'.length);
      return {
        uri: SET_EVENT_URIS['service_client.revoked'],
        subId: { format: 'iss_sub', iss: ctx.subjectIssuer, sub: client },
        body: { ...common, credential_type: 'client-secret', change_type: 'revoke', ...reason('The service client was revoked') },
      };
    }
    case 'user.role_changed':
      return { uri: SET_EVENT_URIS['user.role_changed'], subId: user!, body: { ...common, claims: { role: data.to }, ...reason('The role changed') } };
    case 'user.deactivated':
      return { uri: SET_EVENT_URIS['user.deactivated'], subId: user!, body: {} };
    case 'user.reactivated':
      return { uri: SET_EVENT_URIS['user.reactivated'], subId: user!, body: {} };
    case 'user.deleted':
      // Never by email: the address is gone with the account.
      return { uri: SET_EVENT_URIS['user.deleted'], subId: { format: 'iss_sub', iss: ctx.subjectIssuer, sub: event.user_id! }, body: {} };
    case 'ssf.verification':
      return { uri: STREAM_EVENT_URIS['ssf.verification'], subId: { format: 'opaque', id: event.subject_key.slice('stream:'.length) }, body: data.state === undefined ? {} : { state: data.state } };
    case 'ssf.stream_updated':
      return {
        uri: STREAM_EVENT_URIS['ssf.stream_updated'],
        subId: { format: 'opaque', id: event.subject_key.slice('stream:'.length) },
        body: { status: data.status, ...(data.reason ? { reason: data.reason } : {}) },
      };
    default:
      return undefined;
  }
}

/**
 * The claims of the SET (RFC 8417, profiled by SSF 1.0 §4.1) for one event on one stream: no
 * `sub` and no `exp` (SSF forbids both), `sub_id` at the top, one event in `events`, `txn` shared
 * by the events of one database transaction. `jti` is the delivery's id: the same on every try.
 */
export function setClaims(event: EventRow & { txn: string }, deliveryId: string, ctx: SetContext): Record<string, unknown> | undefined {
  const shaped = eventOf(event, ctx);
  if (!shaped) return undefined;
  return {
    iss: ctx.issuer,
    jti: `set_${deliveryId}`,
    iat: Math.floor(Date.now() / 1000),
    aud: ctx.audience,
    txn: event.txn,
    sub_id: shaped.subId,
    events: { [shaped.uri]: shaped.body },
  };
}
