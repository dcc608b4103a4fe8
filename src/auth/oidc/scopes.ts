import { PERMISSION_TYPES, type PermissionType } from '@cathouse/catalog';

/**
 * The scopes a cat may ask for, and what each means to the player. Identity scopes are OpenID
 * Connect's; each Cat House permission type (catalog.permissions) is a scope of its own,
 * `cathouse:<permission_type>`, so a cat's token says what it may do in the same words as the
 * proxy's installation tokens (`perms`).
 */
export const PERMISSION_SCOPE_PREFIX = 'cathouse:';

export const IDENTITY_SCOPES = ['openid', 'profile', 'email', 'offline_access'] as const;

export const PERMISSION_SCOPES = PERMISSION_TYPES.map((type) => `${PERMISSION_SCOPE_PREFIX}${type}`);

/** Every scope the provider supports, for its `scopes` option and discovery. */
export const SUPPORTED_SCOPES = [...IDENTITY_SCOPES, ...PERMISSION_SCOPES];

/**
 * The OIDC claims each identity scope releases. `openid` carries how and when the player signed in
 * (acr, amr, auth_time: facts of the sign-in, not of the profile), so every ID token has them.
 */
export const SCOPE_CLAIMS = {
  openid: ['sub', 'acr', 'amr', 'auth_time'],
  profile: ['name', 'preferred_username', 'updated_at'],
  email: ['email', 'email_verified'],
};

/** The permission type a scope names, or undefined for an identity scope. */
export function permissionOfScope(scope: string): PermissionType | undefined {
  if (!scope.startsWith(PERMISSION_SCOPE_PREFIX)) return undefined;
  const type = scope.slice(PERMISSION_SCOPE_PREFIX.length);
  return (PERMISSION_TYPES as readonly string[]).includes(type) ? (type as PermissionType) : undefined;
}

/** The permission types among granted scopes. */
export function permissionsOfScopes(scopes: Iterable<string>): PermissionType[] {
  const out: PermissionType[] = [];
  for (const scope of scopes) {
    const type = permissionOfScope(scope);
    if (type && !out.includes(type)) out.push(type);
  }
  return out.sort();
}

// What the consent page says for each scope is in the pages' catalogue (pages/locales/<language>.json,
// `scope.<scope>`), so a translator finds it with the page's other words.
