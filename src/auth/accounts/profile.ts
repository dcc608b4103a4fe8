import type { User } from '../../db/entities/index';
import { AppError } from '../../errors/app-error';
import type { Principal } from '../principal';
import { sql } from '../sql';
import type { AccountServiceDeps } from './account-deps';
import { publicUser, type PublicUser } from './public-user';

/** PATCH me: the profile fields a user may change themselves. */
export async function updateProfile(deps: AccountServiceDeps, principal: Principal, changes: { display_name?: string | null | undefined }): Promise<PublicUser> {
  const { rows } = await sql<User>(
    deps.dataSource,
    `UPDATE auth.users SET display_name = CASE WHEN $2 THEN $3 ELSE display_name END, updated_at = statement_timestamp()
      WHERE id = $1
      RETURNING id, email, role, display_name AS "displayName", is_active AS "isActive", email_verified_at AS "emailVerifiedAt", created_at AS "createdAt"`,
    [principal.userId, changes.display_name !== undefined, changes.display_name ?? null],
  );
  return publicUser(rows[0]!);
}

/**
 * POST me/developer: a player with a verified email becomes a developer. Answers an access
 * token for the same session carrying the new role; the refresh token stays valid (later
 * refreshes read the role from the database).
 */
export async function becomeDeveloper(deps: AccountServiceDeps, principal: Principal): Promise<{ accessToken: string; expiresIn: number }> {
  if (principal.role === 'admin') throw new AppError('role_not_allowed', 'An admin keeps the admin role; admins change roles with PATCH users/{id}.');
  if (!principal.user.email_verified) throw new AppError('email_not_verified', 'Verify your email address first (POST verify-email/resend sends a new link).');
  await sql(deps.dataSource, `UPDATE auth.users SET role = 'developer', updated_at = statement_timestamp() WHERE id = $1 AND role = 'player'`, [principal.userId]);
  return deps.accessToken({ userId: principal.userId, sessionId: principal.sessionId, role: 'developer', emailVerified: true });
}
