import { Column, CreateDateColumn, Entity, Index, PrimaryColumn } from 'typeorm';
import { AUTH_SCHEMA } from './schema';

/**
 * The OpenID provider's state (issue 27): one row per oidc-provider model instance (sessions,
 * interactions, authorization codes, access and refresh tokens, grants, initial access tokens...),
 * written by its storage adapter (src/auth/oidc/adapter.ts). The payload is the library's own
 * object; the columns beside it are what the adapter looks rows up by (grant, session uid, user
 * code) and what pruning deletes by (expires_at). Clients live in oidc_clients, not here.
 */
@Entity({ name: 'oidc_models', schema: AUTH_SCHEMA })
@Index(['grantId'])
@Index(['uid'])
@Index(['userCode'])
@Index(['expiresAt'])
// Ending a user's sessions deletes their provider Session rows by payload->>'accountId' (oidc/provider-sign-outs.ts):
// a partial expression index TypeORM cannot describe, made by the migration (synchronize: false).
@Index('idx_oidc_models_session_account_id', { synchronize: false })
export class OidcModel {
  /** The oidc-provider model name (AccessToken, Grant, Session, ...). */
  @PrimaryColumn({ type: 'text' })
  model!: string;

  @PrimaryColumn({ type: 'text' })
  id!: string;

  @Column({ type: 'jsonb' })
  payload!: Record<string, unknown>;

  @Column({ type: 'text', nullable: true })
  grantId!: string | null;

  @Column({ type: 'text', nullable: true })
  uid!: string | null;

  @Column({ type: 'text', nullable: true })
  userCode!: string | null;

  /** Null for models the library keeps without expiry. */
  @Column({ type: 'timestamptz', nullable: true })
  expiresAt!: Date | null;

  @Column({ type: 'timestamptz', nullable: true })
  consumedAt!: Date | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;
}
