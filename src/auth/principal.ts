import type { UserRole } from '../db/entities/index';
import type { LiveUser, PublicUser } from './accounts/public-user';
import type { AccessTokenClaims } from './tokens/access-tokens';

/** Who a request is (a verified access token of a live session) and what a grant hands back. */

/** What a successful grant yields; the HTTP layer shapes it into RFC 6749 §5.1 names. */
export interface TokenGrant {
  accessToken: string;
  expiresIn: number;
  refreshToken: string;
  sessionId: string;
}

export interface GrantWithUser extends TokenGrant {
  user: PublicUser;
}

/** The caller behind a verified access token whose session is still live. */
export interface Principal {
  userId: string;
  sessionId: string;
  /** The role in the database now, which may be newer than the token's claim. */
  role: UserRole;
  /** The user as stored now, read with the session check. */
  user: LiveUser;
  claims: AccessTokenClaims;
}
