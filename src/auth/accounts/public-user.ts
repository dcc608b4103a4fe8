import type { User, UserRole } from '../../db/entities/index';

/** The user as the API shows it: never the password hash. */
export interface PublicUser {
  id: string;
  /** null for a deleted account (the address is erased). */
  email: string | null;
  role: UserRole;
  display_name: string | null;
  email_verified: boolean;
  is_active: boolean;
  created_at: string;
}

/** A user behind a live session: never a deleted account, so the address is there. */
export type LiveUser = PublicUser & { email: string };

export function publicUser(user: User): PublicUser {
  return {
    id: user.id,
    email: user.email,
    role: user.role,
    display_name: user.displayName,
    email_verified: user.emailVerifiedAt !== null,
    is_active: user.isActive,
    created_at: user.createdAt.toISOString(),
  };
}
