import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn, Unique } from 'typeorm';
import { AUTH_SCHEMA } from './schema';
import { Session } from './session.entity';

/**
 * A refresh token of the previous format (issued before issue 15), stored only as its SHA-256
 * hash. No new rows are written: tokens are now tracked on their session (session.entity.ts), and
 * these rows only let tokens issued before the change work once more and detect their reuse; the
 * pruning deletes them as they expire. `usedAt` is set when one is rotated; presenting a used
 * token again is reuse (RFC 9700 §4.14.2) unless it falls in the reuse interval.
 * `parentId` has no foreign key (issue 9 H2: deleting a row made PostgreSQL scan the table for
 * children to set to NULL; no code follows it as a reference).
 */
@Entity({ name: 'refresh_tokens', schema: AUTH_SCHEMA })
@Unique(['tokenHash'])
@Index(['sessionId'])
export class RefreshToken {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'uuid' })
  sessionId!: string;

  @ManyToOne(() => Session, { onDelete: 'CASCADE', nullable: false })
  @JoinColumn({ name: 'session_id' })
  session?: Session;

  @Column({ type: 'bytea' })
  tokenHash!: Buffer;

  @Column({ type: 'uuid', nullable: true })
  parentId!: string | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;

  @Column({ type: 'timestamptz' })
  expiresAt!: Date;

  @Column({ type: 'timestamptz', nullable: true })
  usedAt!: Date | null;
}
