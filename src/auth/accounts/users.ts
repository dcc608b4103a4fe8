import type { DataSource, EntityManager } from 'typeorm';
import { User, type UserRole } from '../../db/entities/index';
import { AppError } from '../../errors/app-error';
import { recordEvent, type AuditClient } from '../audit/audit-events';
import { isUuid } from '../ids';
import { revokeUserSessions } from '../sessions/revocation';
import { recordSecurityEvent } from '../events/record';
import { publicUser, type PublicUser } from './public-user';
import { bumpSecurityStamp } from './security-stamp';

/** Emails are compared trimmed and lower-cased; the users table's CHECK refuses any other form. */
export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

function isUniqueViolation(err: unknown, constraint: string): boolean {
  const driverError = (err as { driverError?: { code?: string; constraint?: string } }).driverError;
  return driverError?.code === '23505' && driverError.constraint === constraint;
}

/** 409 email_taken: kept on purpose, and throttled (docs/api.md, "Registration and account enumeration"). */
export function emailTaken(): AppError {
  return new AppError('email_taken', 'An account with this email already exists.');
}

export interface NewUser {
  email: string;
  /** null: an account of another provider (issue 25) or a guest, with no password yet. */
  passwordHash: string | null;
  displayName: string | null;
  role: UserRole;
  /** Registration asked for the developer role (granted once the email is verified, developer-role.ts). */
  developerRequested?: boolean;
  /** The language of the user's mail (issue 30); null: MAIL_DEFAULT_LOCALE. */
  locale?: string | null;
}

/**
 * Inserts a user. The UNIQUE constraint, not a prior SELECT, decides whether the email is taken,
 * so two registrations racing for one address cannot both succeed.
 */
export async function insertUser(manager: EntityManager, user: NewUser): Promise<User> {
  try {
    const { developerRequested, ...fields } = user;
    const row = manager.create(User, { ...fields, email: normalizeEmail(user.email), developerRequestedAt: developerRequested ? new Date() : null });
    return await manager.save(User, row);
  } catch (err) {
    if (isUniqueViolation(err, 'uq_users_email')) throw emailTaken();
    throw err;
  }
}

export async function findUserByEmail(dataSource: DataSource, email: string): Promise<User | null> {
  return dataSource.getRepository(User).findOneBy({ email: normalizeEmail(email) });
}

export interface UserChanges {
  role?: UserRole | undefined;
  is_active?: boolean | undefined;
  /** false lifts an admin's block on the developer role (developer-role.ts); true sets one. */
  developer_blocked?: boolean | undefined;
}

/** Who makes a change, for its audit events: an admin's id and session, or nobody (the admin CLI). */
export interface ChangeActor {
  actorId: string | null;
  sessionId?: string | null | undefined;
  client?: AuditClient | undefined;
  /** How the change was made when it was not the API (`cli`), in the events' detail. */
  via?: string | undefined;
}

/**
 * Applies an administrator's change to a user. Deactivation ends all of the user's sessions in
 * the same transaction, so no refresh succeeds after the answer. The last active admin cannot be
 * demoted or deactivated: nobody could then manage users without going to the database. Each
 * value that actually changes records its event (role_changed, active_changed: from, to, by whom)
 * in the same transaction; a change to the value it already has records nothing.
 *
 * Issue 22: deactivation bumps the security stamp (every mailed link of the user dies). Making a
 * user a player blocks the developer role for them until an admin lifts it (`developer_blocked:
 * false`) or makes them a developer: a demoted developer cannot take the role back at once.
 */
export async function updateUser(dataSource: DataSource, id: string, changes: UserChanges, actor: ChangeActor = { actorId: null }): Promise<User> {
  return dataSource.transaction(async (manager) => {
    if (!isUuid(id)) throw new AppError('not_found', 'No user with this id.');
    // The active admins are locked first, always in id order, then the target: two admins demoting
    // each other at once are serialised here (no deadlock) and the second sees it would be the last.
    const admins: { id: string }[] = await manager.query(
      `SELECT id FROM auth.users WHERE role = 'admin' AND is_active ORDER BY id FOR UPDATE`,
    );
    const user = await manager.findOne(User, { where: { id }, lock: { mode: 'pessimistic_write' } });
    if (!user) throw new AppError('not_found', 'No user with this id.');
    const losesAdmin =
      user.role === 'admin' &&
      user.isActive &&
      ((changes.role !== undefined && changes.role !== 'admin') || changes.is_active === false);
    if (losesAdmin && admins.length <= 1) {
      throw new AppError('last_admin', 'This is the last active admin: make another user admin first.');
    }
    const before = { role: user.role, isActive: user.isActive, developerBlocked: user.developerBlockedAt !== null };
    if (changes.role !== undefined) user.role = changes.role;
    if (changes.is_active !== undefined) user.isActive = changes.is_active;
    if (changes.role !== undefined && changes.role !== before.role) {
      // An admin's decision about the developer role stands until an admin changes it.
      if (changes.role === 'player') user.developerBlockedAt ??= new Date();
      if (changes.role === 'developer') user.developerBlockedAt = null;
    }
    if (changes.developer_blocked !== undefined) user.developerBlockedAt = changes.developer_blocked ? (user.developerBlockedAt ?? new Date()) : null;
    if (user.developerBlockedAt !== null) user.developerRequestedAt = null;
    const saved = await manager.save(User, user);
    if (before.isActive && !saved.isActive) await bumpSecurityStamp(manager, id);
    const ended = changes.is_active === false ? await revokeUserSessions(manager, id, 'user_deactivated') : 0;
    const event = { userId: id, actorId: actor.actorId, sessionId: actor.sessionId ?? null, client: actor.client };
    const via = actor.via ? { via: actor.via } : {};
    const blocked = saved.developerBlockedAt !== null;
    if (before.role !== saved.role || before.developerBlocked !== blocked) {
      const block = before.developerBlocked !== blocked ? { developer_blocked: blocked } : {};
      await recordEvent(manager, { ...event, type: 'role_changed', detail: { from: before.role, to: saved.role, ...block, ...via } });
    }
    if (before.isActive !== saved.isActive) {
      const detail = { from: before.isActive, to: saved.isActive, ...(saved.isActive ? {} : { sessions_ended: ended }), ...via };
      await recordEvent(manager, { ...event, type: 'active_changed', detail });
    }
    // Issue 29: the other services hear of it (receivers refuse the user's older tokens); last, as recordSecurityEvent asks.
    const initiatedBy = actor.actorId === id ? 'user' : 'admin';
    if (before.role !== saved.role) {
      await recordSecurityEvent(manager, { type: 'user.role_changed', subject: { user: id }, initiatedBy, data: { from: before.role, to: saved.role } });
    }
    if (before.isActive !== saved.isActive) {
      await recordSecurityEvent(manager, { type: saved.isActive ? 'user.reactivated' : 'user.deactivated', subject: { user: id }, initiatedBy });
    }
    return saved;
  });
}

export interface RoleChange {
  user: PublicUser;
  from: UserRole;
  /** False when the user already had the role: nothing was written, no event recorded. */
  changed: boolean;
}

/**
 * Gives the user with this email a role, with the rules and events of updateUser (the last
 * active admin cannot be demoted; role_changed recorded in the same transaction). For the admin
 * command (`npm run admin -- promote EMAIL`), which finds people by email. Throws not_found for an
 * unknown email and last_admin.
 */
export async function setRoleByEmail(dataSource: DataSource, email: string, role: UserRole, actor: ChangeActor): Promise<RoleChange> {
  const found = await findUserByEmail(dataSource, email);
  if (!found) throw new AppError('not_found', `No user with the email ${normalizeEmail(email)}.`);
  const saved = await updateUser(dataSource, found.id, { role }, actor);
  return { user: publicUser(saved), from: found.role, changed: found.role !== saved.role };
}
