import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn, UpdateDateColumn } from 'typeorm';
import { AUTH_SCHEMA } from './schema';
import { User } from './user.entity';

/**
 * A relying party of the OpenID provider (issue 27): a cat's web page or service (`catId` set),
 * or a Cat House resource server that may introspect cats' tokens (`catId` null, made by an
 * admin). `metadata` is the client's RFC 7591 metadata as oidc-provider validated it (including
 * its secret for confidential clients: the library compares it, so it is kept as given; the
 * privilege policy lets no other service read this table). A deleted cat takes its clients along.
 */
@Entity({ name: 'oidc_clients', schema: AUTH_SCHEMA })
@Index(['catId'])
@Index(['createdBy'])
export class OidcClient {
  @PrimaryColumn({ type: 'text' })
  clientId!: string;

  @Column({ type: 'uuid', nullable: true })
  catId!: string | null;

  @ManyToOne('Cat', { nullable: true, onDelete: 'CASCADE' })
  @JoinColumn({ name: 'cat_id' })
  cat?: unknown;

  /** The developer or admin who registered it; null for dynamic registration and once that account is gone. */
  @Column({ type: 'uuid', nullable: true })
  createdBy!: string | null;

  @ManyToOne(() => User, { nullable: true, onDelete: 'SET NULL' })
  @JoinColumn({ name: 'created_by' })
  creator?: User;

  @Column({ type: 'jsonb' })
  metadata!: Record<string, unknown>;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt!: Date;
}
