import type { User, UserRole } from '../../db/entities/index';

/** The user as the API shows it: never the password hash. */
export interface PublicUser {
  id: string;
  /** null for a deleted account (the address is erased), and for a guest (issue 25: its placeholder address is internal). */
  email: string | null;
  role: UserRole;
  /** True for a guest player until it upgrades (issue 25). */
  is_anonymous: boolean;
  display_name: string | null;
  email_verified: boolean;
  is_active: boolean;
  created_at: string;
  /** The language of the user's mail (issue 30); null means MAIL_DEFAULT_LOCALE. */
  locale: string | null;
}

/** A user behind a live session: never a deleted account; a guest's address is null (issue 25), anyone else's is there. */
export type LiveUser = PublicUser;

export function publicUser(user: User): PublicUser {
  return {
    id: user.id,
    ...anonymity(user.role, user.email),
    role: user.role,
    display_name: user.displayName,
    email_verified: user.emailVerifiedAt !== null,
    is_active: user.isActive,
    created_at: user.createdAt.toISOString(),
    locale: user.locale,
  };
}

/** A guest shows no address and is_anonymous; everyone else their address (issue 25). */
export function anonymity(role: UserRole, email: string | null): { email: string | null; is_anonymous: boolean } {
  return role === 'guest' ? { email: null, is_anonymous: true } : { email, is_anonymous: false };
}
