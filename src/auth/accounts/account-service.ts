import type { EntityManager } from 'typeorm';
import type { User } from '../../db/entities/index';
import type { Principal } from '../principal';
import type { AccountClient, AccountServiceDeps } from './account-deps';
import { changePassword, requestEmailChange } from './credential-changes';
import { deleteAccount } from './deletion';
import { assertEmailAllowed } from './email-policy';
import { queueVerification, resendVerification, verifyEmail } from './email-verification';
import { forgotPassword, resetPassword } from './password-recovery';
import { becomeDeveloper, updateProfile } from './profile';
import type { PublicUser } from './public-user';

export type { AccountClient, AccountServiceDeps } from './account-deps';

/**
 * The account lifecycle after registration: email verification, password reset and change,
 * email change, profile, the developer role, deletion. Each flow lives in a file of its own
 * (email-verification, password-recovery, credential-changes, profile, deletion); this class
 * holds their shared dependencies for the routes. Every mail is written to the outbox in the same
 * transaction as the change it belongs to. Methods throw AppError for what a client can act on;
 * route handlers map it.
 */
export class AccountService {
  constructor(private readonly deps: AccountServiceDeps) {}

  /** In the registration's transaction: a verification token and its mail. */
  onRegistered(manager: EntityManager, user: User): Promise<void> {
    return queueVerification(this.deps, manager, user.id, user.email!);
  }

  verifyEmail(token: string, client: AccountClient): Promise<{ email: string; email_verified: true }> {
    return verifyEmail(this.deps, token, client);
  }

  resendVerification(principal: Principal, client: AccountClient): Promise<void> {
    return resendVerification(this.deps, principal, client);
  }

  forgotPassword(email: string, client: AccountClient): Promise<void> {
    return forgotPassword(this.deps, email, client);
  }

  resetPassword(token: string, password: string, client: AccountClient): Promise<void> {
    return resetPassword(this.deps, token, password, client);
  }

  changePassword(principal: Principal, currentPassword: string, newPassword: string, client: AccountClient): Promise<void> {
    return changePassword(this.deps, principal, currentPassword, newPassword, client);
  }

  requestEmailChange(principal: Principal, newEmail: string, password: string, client: AccountClient): Promise<void> {
    return requestEmailChange(this.deps, principal, newEmail, password, client);
  }

  /** The email policy registration shares with email change (EMAIL_REFUSED_TLDS). */
  assertEmailAllowed(normalizedEmail: string): void {
    assertEmailAllowed(normalizedEmail, this.deps.refusedEmailTlds);
  }

  updateProfile(principal: Principal, changes: { display_name?: string | null | undefined }): Promise<PublicUser> {
    return updateProfile(this.deps, principal, changes);
  }

  becomeDeveloper(principal: Principal, client: AccountClient): Promise<{ accessToken: string; expiresIn: number }> {
    return becomeDeveloper(this.deps, principal, client);
  }

  deleteAccount(principal: Principal, password: string, client: AccountClient): Promise<void> {
    return deleteAccount(this.deps, principal, password, client);
  }
}
