import type { OpenAPIRegistry, ResponseConfig } from '@asteasolutions/zod-to-openapi';
import type { z } from 'zod';
import type { ErrorCode } from '../../errors/error-codes';
import {
  AdminUserView,
  EndedSessions,
  EventPage,
  EventsQuery,
  MyEventsQuery,
  MySessions,
  MySessionsQuery,
  SessionIdParams,
  UserPage,
  UsersQuery,
} from './account-schemas';
import { UserIdParams } from './schemas';

export interface PathHelpers {
  path: (path: string) => string;
  authenticated: Record<string, string[]>[];
  problems: (...codes: ErrorCode[]) => Record<number, ResponseConfig>;
  json: <T extends z.ZodType>(schema: T) => { content: { 'application/json': { schema: T } } };
}

/** The session, audit-log and admin endpoints of issue 11, registered into the document's registry. */
export function registerSessionAndAdminPaths(registry: OpenAPIRegistry, { path: p, authenticated, problems, json }: PathHelpers): void {
  registry.registerPath({
    method: 'get',
    path: p('/me/sessions'),
    summary: 'My live sessions (devices)',
    description:
      'Most recently used first, `limit` of them (default 20, at most 100; `has_more` says whether there are others, and `logout` with scope `others` ends them), with a coarse device label parsed from the user agent; `current` marks the session of the access token that asked.',
    security: authenticated,
    request: { query: MySessionsQuery },
    responses: { 200: { description: 'Live sessions.', ...json(MySessions) }, ...problems('invalid_token', 'invalid_request') },
  });
  registry.registerPath({
    method: 'delete',
    path: p('/me/sessions/{id}'),
    summary: 'End one of my sessions',
    description:
      "Its refresh token stops working at once; its access token stops at once on the auth service's own endpoints and elsewhere at expiry. Another user's session, or one already ended, is `not_found`.",
    security: authenticated,
    request: { params: SessionIdParams },
    responses: { 204: { description: 'Ended.' }, ...problems('invalid_token', 'invalid_request', 'not_found') },
  });
  registry.registerPath({
    method: 'get',
    path: p('/me/events'),
    summary: 'My security history (audit log)',
    description: 'Newest first, keyset-paged: pass `next_before` as `before` for older events. Events added while paging never shift the pages. A `before` out of range is 400 `invalid_request`.',
    security: authenticated,
    request: { query: MyEventsQuery },
    responses: { 200: { description: 'One page of events.', ...json(EventPage) }, ...problems('invalid_token', 'invalid_request') },
  });
  registry.registerPath({
    method: 'get',
    path: p('/events'),
    summary: 'The audit log (admin only)',
    description: 'Anyone\'s events, newest first, filtered by user and type, keyset-paged like me/events.',
    security: authenticated,
    request: { query: EventsQuery },
    responses: { 200: { description: 'One page of events.', ...json(EventPage) }, ...problems('invalid_token', 'invalid_request', 'forbidden') },
  });
  registry.registerPath({
    method: 'get',
    path: p('/users'),
    summary: 'Find users (admin only)',
    description:
      'Filtered by role, state and email prefix; in email order when `email` is given, else in creation order; keyset-paged: pass `next_after` as `after` (any other value is 400 `invalid_request`). A deleted user\'s email is null.',
    security: authenticated,
    request: { query: UsersQuery },
    responses: { 200: { description: 'One page of users.', ...json(UserPage) }, ...problems('invalid_token', 'invalid_request', 'forbidden') },
  });
  registry.registerPath({
    method: 'get',
    path: p('/users/{id}'),
    summary: 'A user with their live sessions and latest events (admin only)',
    security: authenticated,
    request: { params: UserIdParams },
    responses: { 200: { description: 'The user.', ...json(AdminUserView) }, ...problems('invalid_token', 'invalid_request', 'forbidden', 'not_found') },
  });
  registry.registerPath({
    method: 'delete',
    path: p('/users/{id}/sessions'),
    summary: "End all of a user's sessions (admin only)",
    security: authenticated,
    request: { params: UserIdParams },
    responses: { 200: { description: 'How many live sessions were ended.', ...json(EndedSessions) }, ...problems('invalid_token', 'invalid_request', 'forbidden', 'not_found') },
  });
}
