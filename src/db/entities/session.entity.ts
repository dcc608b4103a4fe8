import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { AUTH_SCHEMA } from './schema';
import { User } from './user.entity';

/**
 * One login: the family of refresh tokens that rotate from it (RFC 9700 §4.14.2). The row is the
 * family's whole state (src/auth/sessions/): the current generation, the hash of the current
 * token and when it was rotated. None of the columns a rotation sets is indexed, and the table
 * keeps free space on its pages (fillfactor, in the migration), so a rotation is a heap-only (HOT)
 * update: do not index last_used_at, expires_at or the refresh_* columns.
 */
@Entity({ name: 'sessions', schema: AUTH_SCHEMA })
@Index(['userId'])
export class Session {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'uuid' })
  userId!: string;

  @ManyToOne(() => User, { onDelete: 'CASCADE', nullable: false })
  @JoinColumn({ name: 'user_id' })
  user?: User;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;

  @Column({ type: 'timestamptz', default: () => 'now()' })
  lastUsedAt!: Date;

  @Column({ type: 'timestamptz' })
  expiresAt!: Date;

  @Column({ type: 'timestamptz', nullable: true })
  revokedAt!: Date | null;

  @Column({ type: 'varchar', length: 50, nullable: true })
  revokedReason!: string | null;

  @Column({ type: 'varchar', length: 512, nullable: true })
  userAgent!: string | null;

  @Column({ type: 'inet', nullable: true })
  ip!: string | null;

  /** Rotations so far; the current refresh token names this generation. */
  @Column({ type: 'integer', default: 0 })
  refreshGeneration!: number;

  /** SHA-256 of the current refresh token; null for a session whose token is still of the previous format (in refresh_tokens). */
  @Column({ type: 'bytea', nullable: true })
  refreshTokenHash!: Buffer | null;

  /** When the current token replaced its parent: the reuse interval runs from here. */
  @Column({ type: 'timestamptz', nullable: true })
  refreshRotatedAt!: Date | null;

  /**
   * How the user proved who they are (issue 26): RFC 8176 values (pwd, otp, hwk, swk, mfa), the
   * access token's `amr`. Sessions from before the column were password logins.
   */
  @Column({ type: 'text', array: true, default: () => "'{pwd}'" })
  amr!: string[];

  /** When the user last authenticated in this session (sign-in or step-up): `auth_time`. null: created_at. */
  @Column({ type: 'timestamptz', nullable: true })
  authTime!: Date | null;
}
