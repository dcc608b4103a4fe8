/**
 * The security events the service records (issue 29): their names, what each means, and which
 * subject it is about. Webhooks carry these names as `type`; Shared Signals streams carry the CAEP
 * or RISC event each maps to (ssf/set-claims.ts). docs/events.md is the catalogue for people.
 * Names are stable: add new ones, never rename or reuse.
 */
export const EVENT_TYPES = {
  'session.revoked': 'One session ended (logout, ended from the device list, refresh-token reuse, another session\'s password change). data: session_id, reason.',
  'user.sessions_revoked': 'Every session of the user ended at once (global logout, password reset, deactivation, deletion, an admin). data: reason, sessions_ended, provider_sessions_ended (OpenID provider browser sessions), app_grants_ended (connected apps whose tokens ended).',
  'user.password_changed': 'The user changed their password (other sessions end: session.revoked each).',
  'user.password_reset': 'The password was reset through a mailed link (every session ends: user.sessions_revoked).',
  'user.email_changed': 'The account\'s email address changed (the address itself is never in the event).',
  'user.role_changed': 'The user\'s role changed. data: from, to.',
  'user.deactivated': 'An admin deactivated the account (its sessions end).',
  'user.reactivated': 'An admin reactivated the account.',
  'user.deleted': 'The account was deleted (anonymised; it can never sign in again).',
  'factor.added': 'A second factor or passkey was added. data: factor_id, factor_type.',
  'factor.removed': 'A second factor or passkey was removed. data: factor_id, factor_type.',
  'pat.revoked': 'A personal access token was revoked. data: token_id.',
  'service_client.revoked': 'A service client was revoked: its secrets stop working. Subject: the client.',
  'connected_app.revoked': 'A player disconnected a cat\'s app, or an admin did: its OpenID tokens stop at once. data: client_id, connected_app_id.',
} as const;

export type SecurityEventType = keyof typeof EVENT_TYPES;
export const SECURITY_EVENT_TYPES = Object.keys(EVENT_TYPES) as SecurityEventType[];

/** Events only a Shared Signals stream receives (about the stream itself), never a webhook. */
export const STREAM_EVENT_TYPES = ['ssf.verification', 'ssf.stream_updated'] as const;
export type StreamEventType = (typeof STREAM_EVENT_TYPES)[number];

/** Who made the change: CAEP's initiating_entity (admin, user, policy, system). */
export type InitiatingEntity = 'admin' | 'user' | 'policy' | 'system';

/** What an event is about: a user (and possibly one of their sessions), a service client, or a stream. */
export type EventSubject = { user: string; session?: string } | { client: string } | { stream: string };

/** The key events are ordered by: one subject, one sequence (see record.ts). */
export function subjectKey(subject: EventSubject): string {
  if ('user' in subject) return `user:${subject.user}`;
  if ('client' in subject) return `client:${subject.client}`;
  return `stream:${subject.stream}`;
}

export function isSecurityEventType(value: string): value is SecurityEventType {
  return Object.hasOwn(EVENT_TYPES, value);
}
