import {
  Check,
  Column,
  CreateDateColumn,
  Entity,
  Index,
  PrimaryGeneratedColumn,
  Unique,
  UpdateDateColumn,
} from 'typeorm';
import { AUTH_SCHEMA } from './schema';

/** The roles an account can be given; `guest` (issue 25) is only ever a guest sign-in's, until it upgrades to player. */
export const ASSIGNABLE_ROLES = ['player', 'developer', 'admin'] as const;
export const USER_ROLES = [...ASSIGNABLE_ROLES, 'guest'] as const;
export type UserRole = (typeof USER_ROLES)[number];

/**
 * A Cat House account. Emails are stored trimmed and lower-cased, and the CHECK makes the
 * database refuse anything else, so the plain UNIQUE constraint is a case-insensitive one.
 */
@Entity({ name: 'users', schema: AUTH_SCHEMA })
@Unique(['email'])
@Check('chk_users_email_normalized', `"email" = lower(btrim("email"))`)
// The admin's user search (admin-users.ts): filters and keyset order in one index, the plain
// creation order, and the email prefix (an operator-class index made by UserListIndexes).
@Index(['role', 'isActive', 'createdAt', 'id'])
@Index(['createdAt', 'id'])
@Index('idx_users_email_pattern', { synchronize: false })
export class User {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  /** null once the account is deleted: the address is erased, and NULLs never collide in the UNIQUE constraint. */
  @Column({ type: 'varchar', length: 320, nullable: true })
  email!: string | null;

  /** null once the account is deleted (anonymised): nothing can match it. */
  @Column({ type: 'text', nullable: true })
  passwordHash!: string | null;

  @Column({ type: 'enum', enum: USER_ROLES, enumName: 'user_role', default: 'player' })
  role!: UserRole;

  @Column({ type: 'varchar', length: 100, nullable: true })
  displayName!: string | null;

  @Column({ type: 'boolean', default: true })
  isActive!: boolean;

  /** When the address was proven by a link from a mail (verification, email change or password reset). */
  @Column({ type: 'timestamptz', nullable: true })
  emailVerifiedAt!: Date | null;

  /**
   * The security stamp (src/auth/accounts/security-stamp.ts): a counter bumped by every change of
   * credential or identity. Each mailed link carries the value it was issued under and dies when
   * the stamp moves; the account flows compare-and-swap on it.
   */
  @Column({ type: 'bigint', default: 0 })
  securityStamp!: string;

  /** Registration asked for the developer role: granted when the email is verified (developer-role.ts). */
  @Column({ type: 'timestamptz', nullable: true })
  developerRequestedAt!: Date | null;

  /** An admin took the developer role away: the user may not take it back until an admin lifts this. */
  @Column({ type: 'timestamptz', nullable: true })
  developerBlockedAt!: Date | null;
  /** The language of the user's mail (issue 30): a BCP 47 tag; null means MAIL_DEFAULT_LOCALE. */
  @Column({ type: 'varchar', length: 35, nullable: true })
  locale!: string | null;

  /** Set when the account was deleted: the row stays (history), anonymised, and never logs in again. */
  @Column({ type: 'timestamptz', nullable: true })
  deletedAt!: Date | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt!: Date;
}
