import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn, Unique } from 'typeorm';
import { AUTH_SCHEMA } from './schema';
import { User } from './user.entity';

/**
 * An account of another provider (Apple, Google...) linked to a user (issue 25): the provider's
 * `sub` is the identity, never its email, which can change or be a private relay address. One
 * (provider, subject) belongs to one user; a user has any number.
 */
@Entity({ name: 'identities', schema: AUTH_SCHEMA })
@Unique(['provider', 'subject'])
@Index(['userId'])
export class Identity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'uuid' })
  userId!: string;

  @ManyToOne(() => User, { onDelete: 'CASCADE', nullable: false })
  @JoinColumn({ name: 'user_id' })
  user?: User;

  @Column({ type: 'varchar', length: 64 })
  provider!: string;

  @Column({ type: 'varchar', length: 255 })
  subject!: string;

  /** The address the provider proved at the last sign-in (shown to the user; never used to find the identity). */
  @Column({ type: 'varchar', length: 320, nullable: true })
  email!: string | null;

  /** Apple's private relay address (is_private_email). */
  @Column({ type: 'boolean', default: false })
  isPrivateEmail!: boolean;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;

  @Column({ type: 'timestamptz', default: () => 'now()' })
  lastSignInAt!: Date;
}
