import { Check, Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn, Unique } from 'typeorm';
import { AUTH_SCHEMA } from './schema';
import { User } from './user.entity';

export const DEVICE_AUTHORIZATION_STATUSES = ['pending', 'approved', 'denied', 'redeemed'] as const;
export type DeviceAuthorizationStatus = (typeof DEVICE_AUTHORIZATION_STATUSES)[number];

/**
 * One device login (RFC 8628, issue 28): the device code (stored as its SHA-256 only), the user code
 * typed on the /device page, who asked (client, user agent, address) and what the user decided.
 * Every poll and every decision is one statement on this row under its row lock, so PostgreSQL, not
 * an instance's memory, decides that an approved code is redeemed once (src/auth/developer-credentials/).
 */
@Entity({ name: 'device_authorizations', schema: AUTH_SCHEMA })
@Unique(['deviceCodeHash'])
@Unique(['userCode'])
@Index(['userId'])
@Index(['expiresAt'])
@Check('chk_device_authorizations_status', `"status" IN ('pending', 'approved', 'denied', 'redeemed')`)
export class DeviceAuthorization {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'bytea' })
  deviceCodeHash!: Buffer;

  /** Eight letters of RFC 8628 §6.1's base-20 alphabet, without the dash the page shows. */
  @Column({ type: 'text' })
  userCode!: string;

  @Column({ type: 'text' })
  clientId!: string;

  @Column({ type: 'text', nullable: true })
  scope!: string | null;

  @Column({ type: 'text', nullable: true })
  userAgent!: string | null;

  @Column({ type: 'inet', nullable: true })
  ip!: string | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;

  @Column({ type: 'timestamptz' })
  expiresAt!: Date;

  /** The least seconds between polls; slow_down adds 5 (RFC 8628 §3.5). */
  @Column({ type: 'integer' })
  intervalSeconds!: number;

  @Column({ type: 'timestamptz', nullable: true })
  lastPolledAt!: Date | null;

  @Column({ type: 'text', default: 'pending' })
  status!: DeviceAuthorizationStatus;

  /** Who approved or denied. */
  @Column({ type: 'uuid', nullable: true })
  userId!: string | null;

  @ManyToOne(() => User, { nullable: true, onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id' })
  user?: User;

  @Column({ type: 'timestamptz', nullable: true })
  decidedAt!: Date | null;

  /** How the approver proved who they are on the page (RFC 8176), for the session's amr; null: pwd. */
  @Column({ type: 'text', array: true, nullable: true })
  amr!: string[] | null;

  /** When the approver signed in on the page: the session's auth_time; null: the redemption. */
  @Column({ type: 'timestamptz', nullable: true })
  authTime!: Date | null;

  /** The session the redemption started (listed in GET me/sessions as the CLI). */
  @Column({ type: 'uuid', nullable: true })
  sessionId!: string | null;
}
