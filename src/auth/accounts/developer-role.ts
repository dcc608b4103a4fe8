import type { EntityManager } from 'typeorm';
import type { UserRole } from '../../db/entities/index';
import { AppError } from '../../errors/app-error';
import { recordEvent, type AuditClient } from '../audit/audit-events';
import { sql } from '../sql';

/**
 * The developer-role policy, in one place (issue 22 M5): a player becomes a developer only with a
 * verified email address, and not while an admin's demotion stands (users.developer_blocked_at,
 * set when an admin makes a user a player, cleared when an admin makes them a developer or lifts
 * it). Registration may ask for the role; it is granted when the address is verified. Every grant
 * is a role_changed event with `via`.
 */

export interface DeveloperCandidate {
  role: UserRole;
  emailVerified: boolean;
  developerBlocked: boolean;
}

/** Why this user may not become a developer now, or undefined when they may. */
export function developerRoleRefusal(user: DeveloperCandidate): AppError | undefined {
  if (user.role === 'admin') return new AppError('role_not_allowed', 'An admin keeps the admin role; admins change roles with PATCH users/{id}.');
  if (user.developerBlocked) return new AppError('role_not_allowed', 'An admin took the developer role from this account; only an admin can give it back.');
  if (!user.emailVerified) return new AppError('email_not_verified', 'Verify your email address first (POST verify-email/resend sends a new link).');
  return undefined;
}

/** How a grant came about, in role_changed's `detail.via`. */
export type DeveloperGrant = 'self_service' | 'email_verified';

/**
 * In the caller's transaction: makes the user a developer if the policy allows it now (the
 * conditions are the UPDATE's own, so a concurrent demotion or deactivation wins), and records
 * role_changed. With `requestedOnly`, only if registration asked for the role. True if granted.
 */
export async function grantDeveloperRole(
  manager: EntityManager,
  userId: string,
  via: DeveloperGrant,
  context: { sessionId?: string | undefined; client?: AuditClient | undefined; requestedOnly?: boolean } = {},
): Promise<boolean> {
  const { rows } = await sql(
    manager,
    `UPDATE auth.users SET role = 'developer', developer_requested_at = NULL, updated_at = statement_timestamp()
      WHERE id = $1 AND role = 'player' AND email_verified_at IS NOT NULL AND developer_blocked_at IS NULL AND is_active
        AND ($2 = false OR developer_requested_at IS NOT NULL)
     RETURNING id`,
    [userId, context.requestedOnly === true],
  );
  if (rows.length === 0) return false;
  await recordEvent(manager, { type: 'role_changed', userId, sessionId: context.sessionId, client: context.client, detail: { from: 'player', to: 'developer', via } });
  return true;
}
