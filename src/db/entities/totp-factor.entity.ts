import { Column, CreateDateColumn, Entity, JoinColumn, ManyToOne, PrimaryGeneratedColumn, Unique } from 'typeorm';
import { AUTH_SCHEMA } from './schema';
import { User } from './user.entity';

/**
 * A user's authenticator app (TOTP, RFC 6238; issue 26): one per user. The secret is sealed
 * (AES-256-GCM under a key derived from TOKEN_SECRET, src/auth/factors/secret-seal.ts), since the
 * server must read it to check a code. Pending until a first code confirms it; `lastUsedStep` is
 * the time step of the last accepted code, so no code (nor an older one) is accepted twice.
 */
@Entity({ name: 'totp_factors', schema: AUTH_SCHEMA })
@Unique(['userId'])
export class TotpFactor {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'uuid' })
  userId!: string;

  @ManyToOne(() => User, { onDelete: 'CASCADE', nullable: false })
  @JoinColumn({ name: 'user_id' })
  user?: User;

  @Column({ type: 'bytea' })
  secret!: Buffer;

  @Column({ type: 'timestamptz', nullable: true })
  confirmedAt!: Date | null;

  @Column({ type: 'bigint', nullable: true })
  lastUsedStep!: string | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;
}
