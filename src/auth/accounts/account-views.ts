import type { DataSource } from 'typeorm';
import { primaryReads, type LagTolerantReads } from '../../db/read-replica';
import { AppError } from '../../errors/app-error';
import { findPublicUser, listUsers, type UserPage, type UserQuery } from './admin-users';
import { listEvents, recordEvent, type EventPage, type PublicAuditEvent } from '../audit/audit-events';
import type { Principal } from '../principal';
import { listLiveSessions, type DeviceSession } from '../sessions/devices';
import { revokeOwnSession, revokeUserSessions } from '../sessions/revocation';
import type { ClientInfo } from '../sessions/sessions';
import type { PublicUser } from './public-user';

/** A session as its own user sees it: which one is the caller's. */
export interface MySession extends DeviceSession {
  current: boolean;
}

export interface MySessionPage {
  sessions: MySession[];
  /** More live sessions than the page lists, used less recently. */
  has_more: boolean;
}

export interface AdminUserView {
  user: PublicUser;
  sessions: DeviceSession[];
  /** The newest events of the user (at most RECENT_EVENTS); GET events?user_id= pages further. */
  events: PublicAuditEvent[];
}

export const RECENT_EVENTS = 20;

function forbiddenUnlessAdmin(principal: Principal): void {
  // The role in the database now (read with the session check), never the token's claim.
  if (principal.role !== 'admin') throw new AppError('forbidden', 'Only an admin may do this.');
}

/**
 * What a signed-in user may see and do about their own sessions and history, and the admin's
 * view of users (issue 11). Callers pass the Principal from AuthService.authenticate; every
 * method throws AppError (forbidden, not_found, invalid_request) and returns plain data.
 *
 * The user search and the event views read through `reads` (a read replica when configured: they
 * tolerate its lag); the sessions, the user view and every write use the primary, since a caller
 * who just ended a session or changed a role must see it.
 */
export class AccountViews {
  constructor(
    private readonly dataSource: DataSource,
    private readonly reads: LagTolerantReads = primaryReads(dataSource),
  ) {}

  /**
   * GET me/sessions: the `limit` most recently used live sessions, the caller's marked, and whether
   * there are more (one row more is read to know).
   */
  async mySessions(principal: Principal, limit: number): Promise<MySessionPage> {
    // The rows are this call's own objects: marked in place rather than copied.
    const sessions = (await listLiveSessions(this.dataSource, principal.userId, limit + 1)) as MySession[];
    const hasMore = sessions.length > limit;
    if (hasMore) sessions.length = limit;
    for (const s of sessions) s.current = s.id === principal.sessionId;
    return { sessions, has_more: hasMore };
  }

  /**
   * DELETE me/sessions/{id}: ends one of the caller's own live sessions; its refresh stops at once
   * (the session row is what a refresh checks). Another user's session, or an ended one, is
   * not_found, so the answer tells nothing about sessions that are not the caller's.
   */
  async endMySession(principal: Principal, sessionId: string, client: ClientInfo): Promise<void> {
    await this.dataSource.transaction(async (manager) => {
      const ended = await revokeOwnSession(manager, principal.userId, sessionId, 'ended_by_user');
      if (!ended) throw new AppError('not_found', 'You have no live session with this id.');
      await recordEvent(manager, {
        type: 'session_ended',
        userId: principal.userId,
        sessionId,
        client,
        detail: { by: 'user', from_session_id: principal.sessionId },
      });
    });
  }

  /** GET me/events: the caller's own events, newest first. */
  myEvents(principal: Principal, page: { before?: string | undefined; limit: number }): Promise<EventPage> {
    return this.reads.run((db) => listEvents(db, { userId: principal.userId, before: page.before, limit: page.limit }));
  }

  /** GET events (admin): anyone's events, by user and type. */
  events(principal: Principal, query: { userId?: string | undefined; type?: string | undefined; before?: string | undefined; limit: number }): Promise<EventPage> {
    forbiddenUnlessAdmin(principal);
    return this.reads.run((db) => listEvents(db, query));
  }

  /** GET users (admin). */
  users(principal: Principal, query: UserQuery): Promise<UserPage> {
    forbiddenUnlessAdmin(principal);
    return this.reads.run((db) => listUsers(db, query));
  }

  /** GET users/{id} (admin): the user, their live sessions and their latest events. */
  async user(principal: Principal, userId: string): Promise<AdminUserView> {
    forbiddenUnlessAdmin(principal);
    const user = await findPublicUser(this.dataSource, userId);
    if (!user) throw new AppError('not_found', 'No user with this id.');
    const [sessions, events] = await Promise.all([
      listLiveSessions(this.dataSource, user.id),
      listEvents(this.dataSource, { userId: user.id, limit: RECENT_EVENTS }),
    ]);
    return { user, sessions, events: events.events };
  }

  /** DELETE users/{id}/sessions (admin): ends every live session of the user; returns how many. */
  async endUserSessions(principal: Principal, userId: string, client: ClientInfo): Promise<number> {
    forbiddenUnlessAdmin(principal);
    return this.dataSource.transaction(async (manager) => {
      const user = await findPublicUser(manager, userId);
      if (!user) throw new AppError('not_found', 'No user with this id.');
      const ended = await revokeUserSessions(manager, user.id, 'ended_by_admin');
      if (ended > 0) {
        await recordEvent(manager, {
          type: 'session_ended',
          userId: user.id,
          actorId: principal.userId,
          client,
          detail: { by: 'admin', sessions_ended: ended },
        });
      }
      return ended;
    });
  }
}
