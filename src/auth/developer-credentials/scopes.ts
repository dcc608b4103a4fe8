import type { UserRole } from '../../db/entities/index';
import { AppError } from '../../errors/app-error';

/**
 * What a personal access token may be allowed to do: each scope and the roles that hold it. A PAT's
 * scopes are a subset of what its user may do, checked at creation and again at every exchange
 * (a developer made a player again loses the developer scopes at the next exchange). The other
 * services enforce them with @cathouse/auth-client's requireUserScope.
 */
export const PAT_SCOPES = {
  'profile:read': { roles: ['player', 'developer', 'admin'], words: 'Read your profile (id, email, role).' },
  'cats:read': { roles: ['developer', 'admin'], words: 'Read your cats and their versions.' },
  'cats:write': { roles: ['developer', 'admin'], words: 'Create and edit your cats (drafts).' },
  'cats:publish': { roles: ['developer', 'admin'], words: 'Publish and unpublish your cats.' },
} as const satisfies Record<string, { roles: readonly UserRole[]; words: string }>;

export type PatScope = keyof typeof PAT_SCOPES;
export const PAT_SCOPE_NAMES = Object.keys(PAT_SCOPES) as PatScope[];

export function isPatScope(value: string): value is PatScope {
  return Object.hasOwn(PAT_SCOPES, value);
}

/** The scopes a user of `role` may put in a token. */
export function scopesForRole(role: UserRole): PatScope[] {
  return PAT_SCOPE_NAMES.filter((s) => (PAT_SCOPES[s].roles as readonly UserRole[]).includes(role));
}

/** Space-separated scopes (RFC 6749 §3.3) as a set, in catalog order; unknown ones are invalid_scope. */
export function parseScopes(requested: string | readonly string[]): PatScope[] {
  const names = typeof requested === 'string' ? requested.split(' ').filter(Boolean) : [...requested];
  const unknown = names.filter((s) => !isPatScope(s));
  if (unknown.length) {
    throw new AppError('invalid_scope', `Unknown scope ${unknown.join(', ')}; the scopes are ${PAT_SCOPE_NAMES.join(', ')}.`);
  }
  return PAT_SCOPE_NAMES.filter((s) => names.includes(s));
}

/** Refuses scopes the role does not hold (403 invalid_scope names them). */
export function assertScopesAllowed(scopes: readonly PatScope[], role: UserRole): void {
  const allowed = scopesForRole(role);
  const refused = scopes.filter((s) => !allowed.includes(s));
  if (refused.length) {
    throw new AppError('invalid_scope', `A ${role} may not grant ${refused.join(', ')}; allowed: ${allowed.join(', ') || 'none'}.`);
  }
}
