import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn, Unique } from 'typeorm';
import { AUTH_SCHEMA } from './schema';
import { User } from './user.entity';

/**
 * A personal access token (issue 28): `chp_` + random + checksum, shown once; the database holds
 * only its SHA-256 and the first characters (`token_prefix`) that let its owner recognise it.
 * It is exchanged at /token for a short-lived access token carrying its scopes.
 */
@Entity({ name: 'personal_access_tokens', schema: AUTH_SCHEMA })
@Unique(['tokenHash'])
@Index(['userId'])
@Index(['expiresAt'])
export class PersonalAccessToken {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'uuid' })
  userId!: string;

  @ManyToOne(() => User, { nullable: false, onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id' })
  user?: User;

  @Column({ type: 'text' })
  name!: string;

  @Column({ type: 'bytea' })
  tokenHash!: Buffer;

  /** `chp_` and the first four characters: enough to tell tokens apart, far too little to guess one. */
  @Column({ type: 'text' })
  tokenPrefix!: string;

  @Column({ type: 'text', array: true })
  scopes!: string[];

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;

  @Column({ type: 'timestamptz' })
  expiresAt!: Date;

  @Column({ type: 'timestamptz', nullable: true })
  lastUsedAt!: Date | null;

  @Column({ type: 'inet', nullable: true })
  lastUsedIp!: string | null;

  @Column({ type: 'timestamptz', nullable: true })
  revokedAt!: Date | null;

  @Column({ type: 'text', nullable: true })
  revokedReason!: string | null;
}
