import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn, Unique } from 'typeorm';
import { AUTH_SCHEMA } from './schema';
import { User } from './user.entity';

export const ACCOUNT_TOKEN_PURPOSES = ['verify_email', 'change_email', 'reset_password'] as const;
export type AccountTokenPurpose = (typeof ACCOUNT_TOKEN_PURPOSES)[number];

/**
 * A single-use token sent by mail (email verification, email change, password reset), stored only
 * as its SHA-256 hash. `usedAt` is set when it is spent or superseded by a newer one of the same
 * purpose; `newEmail` is the address an email change will switch to. Spent and expired tokens are
 * pruned a day later (account-pruning.ts).
 */
@Entity({ name: 'account_tokens', schema: AUTH_SCHEMA })
@Unique(['tokenHash'])
@Index(['userId', 'purpose'])
// Pruning finds tokens spent or expired more than a day ago by LEAST(used_at, expires_at): an
// expression index TypeORM cannot describe, made by the migration (synchronize: false).
@Index('idx_account_tokens_done_at', { synchronize: false })
export class AccountToken {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'uuid' })
  userId!: string;

  @ManyToOne(() => User, { onDelete: 'CASCADE', nullable: false })
  @JoinColumn({ name: 'user_id' })
  user?: User;

  @Column({ type: 'varchar', length: 20 })
  purpose!: AccountTokenPurpose;

  @Column({ type: 'bytea' })
  tokenHash!: Buffer;

  @Column({ type: 'varchar', length: 320, nullable: true })
  newEmail!: string | null;

  /** The user's security stamp when the token was issued: the token is spent only while the two agree. */
  @Column({ type: 'bigint', default: 0 })
  securityStamp!: string;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;

  @Column({ type: 'timestamptz' })
  expiresAt!: Date;

  @Column({ type: 'timestamptz', nullable: true })
  usedAt!: Date | null;
}
