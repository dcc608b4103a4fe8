import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn, Unique } from 'typeorm';
import { AUTH_SCHEMA } from './schema';
import { User } from './user.entity';

/**
 * The state between a first factor and the second (issue 26): the MFA token a password login
 * answers instead of tokens, stored as its SHA-256, short-lived, spent once, and dead after a few
 * wrong codes. `amr` holds the methods already proven (pwd, fed); after a provider's sign-in
 * (fed), `signInMethod` and `signInProvider` say which, for the sign-in's metric and audit event.
 */
@Entity({ name: 'mfa_challenges', schema: AUTH_SCHEMA })
@Unique(['tokenHash'])
@Index(['userId'])
@Index(['expiresAt'])
export class MfaChallenge {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'uuid' })
  userId!: string;

  @ManyToOne(() => User, { onDelete: 'CASCADE', nullable: false })
  @JoinColumn({ name: 'user_id' })
  user?: User;

  @Column({ type: 'bytea' })
  tokenHash!: Buffer;

  @Column({ type: 'text', array: true })
  amr!: string[];

  /** `id_token` or `redirect`; null after a password. */
  @Column({ type: 'text', nullable: true })
  signInMethod!: string | null;

  /** The configured provider's name; null after a password. */
  @Column({ type: 'text', nullable: true })
  signInProvider!: string | null;

  @Column({ type: 'integer', default: 0 })
  failedAttempts!: number;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;

  @Column({ type: 'timestamptz' })
  expiresAt!: Date;

  @Column({ type: 'timestamptz', nullable: true })
  usedAt!: Date | null;
}
