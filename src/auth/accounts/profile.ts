import type { User } from '../../db/entities/index';
import { AppError } from '../../errors/app-error';
import type { Principal } from '../principal';
import { sql } from '../sql';
import type { AccountClient, AccountServiceDeps } from './account-deps';
import { developerRoleRefusal, grantDeveloperRole } from './developer-role';
import { publicUser, type PublicUser } from './public-user';

/** PATCH me: the profile fields a user may change themselves (display_name is checked by its schema). */
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
 * POST me/developer: a player becomes a developer under the one policy (developer-role.ts):
 * verified email, no admin's demotion standing. Recorded as role_changed (via self_service).
 * Answers an access token for the same session carrying the new role; the refresh token stays
 * valid (later refreshes read the role from the database). A developer asking again gets a token.
 */
export async function becomeDeveloper(deps: AccountServiceDeps, principal: Principal, client: AccountClient): Promise<{ accessToken: string; expiresIn: number }> {
  await deps.dataSource.transaction(async (manager) => {
    const { rows } = await sql<{ role: User['role']; email_verified: boolean; developer_blocked: boolean }>(
      manager,
      `SELECT role, email_verified_at IS NOT NULL AS email_verified, developer_blocked_at IS NOT NULL AS developer_blocked FROM auth.users WHERE id = $1 FOR UPDATE`,
      [principal.userId],
    );
    const user = rows[0]!;
    if (user.role === 'developer') return;
    const refusal = developerRoleRefusal({ role: user.role, emailVerified: user.email_verified, developerBlocked: user.developer_blocked });
    if (refusal) throw refusal;
    if (!(await grantDeveloperRole(manager, principal.userId, 'self_service', { sessionId: principal.sessionId, client }))) {
      throw new AppError('role_not_allowed', 'The developer role cannot be granted to this account now.');
    }
  });
  return deps.accessToken({ userId: principal.userId, sessionId: principal.sessionId, role: 'developer', emailVerified: true });
}
