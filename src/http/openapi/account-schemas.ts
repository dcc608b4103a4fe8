import { extendZodWithOpenApi } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import { AUDIT_EVENT_TYPES } from '../../auth/audit/audit-events';
import { DEFAULT_LISTED_SESSIONS, MAX_LISTED_SESSIONS } from '../../auth/sessions/devices';
import { Role, User } from './schemas';

/**
 * Schemas of the session, audit-log and admin endpoints (issue 11), in a file of their own beside
 * schemas.ts. Query objects are strict like request bodies: an unknown parameter is an error.
 */
extendZodWithOpenApi(z);

const limit = (max: number, dflt: number) =>
  z.coerce
    .number()
    .int()
    .min(1)
    .max(max)
    .default(dflt)
    .openapi({ description: `Page size, 1 to ${max} (default ${dflt}).` });

const uuid = z.string().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, { message: 'expected a uuid' }).openapi({ format: 'uuid' });

const before = z
  .string()
  .regex(/^[1-9][0-9]{0,18}$/, { message: 'expected an event id (next_before of the previous page)' })
  .optional()
  .openapi({ description: 'The `next_before` of the previous page: only older events.' });

export const SessionIdParams = z.strictObject({ id: z.string().openapi({ format: 'uuid' }) });

export const DeviceSession = z
  .object({
    id: z.string().openapi({ format: 'uuid' }),
    created_at: z.string().openapi({ format: 'date-time' }),
    last_used_at: z.string().openapi({ format: 'date-time', description: 'Login or last refresh.' }),
    expires_at: z.string().openapi({ format: 'date-time' }),
    user_agent: z.string().nullable(),
    device: z.string().openapi({ description: 'Coarse label parsed from the user agent.', example: 'Firefox on Windows' }),
    ip: z.string().nullable().openapi({ description: 'Client address at login.' }),
  })
  .openapi('DeviceSession');

export const MySession = DeviceSession.extend({
  current: z.boolean().openapi({ description: 'True for the session of the access token that asked.' }),
}).openapi('MySession');

export const MySessions = z
  .object({
    sessions: z.array(MySession),
    has_more: z.boolean().openapi({ description: 'The account has more live sessions, used less recently than these; `logout` with scope `others` ends them all.' }),
  })
  .openapi('MySessions');

export const MySessionsQuery = z.strictObject({ limit: limit(MAX_LISTED_SESSIONS, DEFAULT_LISTED_SESSIONS) });

export const AuditEventType = z.enum(AUDIT_EVENT_TYPES).openapi('AuditEventType');

export const AuditEvent = z
  .object({
    id: z.string().openapi({ description: 'Increasing; the paging cursor.' }),
    occurred_at: z.string().openapi({ format: 'date-time' }),
    type: AuditEventType,
    user_id: z.string().nullable().openapi({ format: 'uuid', description: 'Null for a failed or throttled login with an unknown email (detail.email_hash).' }),
    actor_id: z.string().nullable().openapi({ format: 'uuid', description: 'Who did it, when not the user (an admin).' }),
    session_id: z.string().nullable().openapi({ format: 'uuid', description: 'The session the event is about (started, ended, or revoked on reuse).' }),
    ip: z.string().nullable(),
    user_agent: z.string().nullable(),
    detail: z.record(z.string(), z.unknown()).openapi({ description: 'Reason codes, from/to values, counts; never a secret.' }),
  })
  .openapi('AuditEvent');

export const EventPage = z
  .object({ events: z.array(AuditEvent), next_before: z.string().nullable().openapi({ description: 'Pass as `before` for older events; null on the last page.' }) })
  .openapi('EventPage');

export const MyEventsQuery = z.strictObject({ before, limit: limit(200, 50) });

export const EventsQuery = z.strictObject({
  user_id: uuid.optional(),
  type: AuditEventType.optional(),
  before,
  limit: limit(200, 50),
});

const bool = z.enum(['true', 'false']).transform((v) => v === 'true');

export const UsersQuery = z.strictObject({
  role: Role.optional(),
  is_active: bool.optional().openapi({ type: 'string', enum: ['true', 'false'] }),
  email: z
    .string()
    .trim()
    .toLowerCase()
    .min(1)
    .max(320)
    .optional()
    .openapi({ description: 'Prefix of the email, case-insensitive (`mia` matches mia@... and mia.k@...).' }),
  after: z.string().max(200).optional().openapi({ description: 'The `next_after` of the previous page.' }),
  limit: limit(200, 50),
});

export const UserPage = z
  .object({ users: z.array(User), next_after: z.string().nullable().openapi({ description: 'Pass as `after` for the next page; null on the last page.' }) })
  .openapi('UserPage');

export const AdminUserView = z
  .object({ user: User, sessions: z.array(DeviceSession), events: z.array(AuditEvent).openapi({ description: 'The 20 newest; GET events?user_id= for more.' }) })
  .openapi('AdminUserView');

export const EndedSessions = z.object({ sessions_ended: z.number().int() }).openapi('EndedSessions');
