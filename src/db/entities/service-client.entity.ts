import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';
import { AUTH_SCHEMA } from './schema';

/**
 * A service client of the client credentials grant (RFC 6749 §4.4): one internal service.
 * Secrets are 256 random bits, so their SHA-256 is stored (no slow hash needed: nothing to guess).
 * During a rotation the previous secret stays valid until `previousSecretExpiresAt`, so services
 * move to the new one without downtime.
 */
@Entity({ name: 'service_clients', schema: AUTH_SCHEMA })
export class ServiceClient {
  @PrimaryColumn({ type: 'varchar', length: 64 })
  clientId!: string;

  @Column({ type: 'bytea' })
  secretHash!: Buffer;

  @Column({ type: 'bytea', nullable: true })
  previousSecretHash!: Buffer | null;

  @Column({ type: 'timestamptz', nullable: true })
  previousSecretExpiresAt!: Date | null;

  @Column({ type: 'text', array: true })
  scopes!: string[];

  @Column({ type: 'boolean', default: true })
  isActive!: boolean;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;

  @Column({ type: 'timestamptz', nullable: true })
  lastUsedAt!: Date | null;
}
