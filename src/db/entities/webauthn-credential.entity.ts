import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn, Unique } from 'typeorm';
import { AUTH_SCHEMA } from './schema';
import { User } from './user.entity';

/**
 * A passkey or security key of a user (issue 26, WebAuthn L2): the credential id the
 * authenticator chose (base64url, as the JSON API carries it), its COSE public key, the signature
 * counter (a counter that does not grow is the cloned-authenticator signal, WebAuthn §6.1.1),
 * and the backup flags (a synced passkey is `multiDevice`).
 */
@Entity({ name: 'webauthn_credentials', schema: AUTH_SCHEMA })
@Unique(['credentialId'])
@Index(['userId'])
export class WebauthnCredential {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'uuid' })
  userId!: string;

  @ManyToOne(() => User, { onDelete: 'CASCADE', nullable: false })
  @JoinColumn({ name: 'user_id' })
  user?: User;

  /** base64url of the raw credential id (at most 1023 bytes, WebAuthn §5.8.3). */
  @Column({ type: 'text' })
  credentialId!: string;

  /** COSE_Key of the credential (WebAuthn §6.5.1.1). */
  @Column({ type: 'bytea' })
  publicKey!: Buffer;

  @Column({ type: 'bigint', default: 0 })
  signCount!: string;

  /** What the client reported at registration (usb, nfc, ble, internal, hybrid), handed back in allowCredentials. */
  @Column({ type: 'text', array: true, default: () => "'{}'" })
  transports!: string[];

  /** `singleDevice` (device-bound: amr hwk) or `multiDevice` (synced: amr swk). */
  @Column({ type: 'text' })
  deviceType!: string;

  @Column({ type: 'boolean', default: false })
  backedUp!: boolean;

  /** The authenticator model (all zeros without attestation). */
  @Column({ type: 'uuid', nullable: true })
  aaguid!: string | null;

  @Column({ type: 'text' })
  name!: string;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;

  @Column({ type: 'timestamptz', nullable: true })
  lastUsedAt!: Date | null;
}
