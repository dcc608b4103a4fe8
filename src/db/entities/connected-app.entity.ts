import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn, Unique } from 'typeorm';
import { OidcClient } from './oidc-client.entity';
import { AUTH_SCHEMA } from './schema';
import { User } from './user.entity';

/**
 * A player's consent to one OpenID client (issue 27), bound to one of their installations of the
 * client's cat: which permission scopes they granted, to which installation, when, and the
 * oidc-provider grant that carries it. Tokens of the grant carry only the granted permissions the
 * installation still has (src/auth/oidc/connected-apps.ts). One row per player and client: a new
 * consent replaces the grant, a revocation keeps the row (revoked_at) for the history.
 */
@Entity({ name: 'connected_apps', schema: AUTH_SCHEMA })
@Unique(['userId', 'clientId'])
@Unique(['grantId'])
@Index(['clientId'])
@Index(['installationId'])
export class ConnectedApp {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'uuid' })
  userId!: string;

  @ManyToOne(() => User, { nullable: false, onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id' })
  user?: User;

  @Column({ type: 'text' })
  clientId!: string;

  @ManyToOne(() => OidcClient, { nullable: false, onDelete: 'CASCADE' })
  @JoinColumn({ name: 'client_id' })
  client?: OidcClient;

  @Column({ type: 'uuid' })
  installationId!: string;

  @ManyToOne('Installation', { nullable: false, onDelete: 'CASCADE' })
  @JoinColumn({ name: 'installation_id' })
  installation?: unknown;

  /** The oidc-provider Grant id of the current consent. */
  @Column({ type: 'text' })
  grantId!: string;

  /** Every scope the player granted (openid, profile, cathouse:storage, ...). */
  @Column({ type: 'text', array: true })
  scopes!: string[];

  @Column({ type: 'timestamptz', default: () => 'now()' })
  grantedAt!: Date;

  @Column({ type: 'timestamptz', nullable: true })
  lastUsedAt!: Date | null;

  @Column({ type: 'timestamptz', nullable: true })
  revokedAt!: Date | null;

  @Column({ type: 'text', nullable: true })
  revokedReason!: string | null;
}
