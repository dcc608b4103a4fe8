import { Check, Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import { AUTH_SCHEMA } from './schema';

export const MAIL_STATUSES = ['pending', 'sent', 'failed'] as const;
export type MailStatus = (typeof MAIL_STATUSES)[number];

/**
 * The transactional outbox of mail: a row is written in the same transaction as the change that
 * needs the mail, and a sender in each instance claims and delivers it (src/auth/mail/sender.ts).
 * `params` holds what the template needs except the link's token, which is sealed in `secret`
 * (AES-256-GCM under a key derived from TOKEN_SECRET) and cleared once the mail is sent, so the
 * database never holds a usable token in clear. `status` is what the admin view reads.
 */
@Entity({ name: 'mail_outbox', schema: AUTH_SCHEMA })
@Index(['status', 'nextAttemptAt'])
@Index(['userId'])
// Retention (account-pruning.ts): sent and failed rows are deleted by age.
@Index(['createdAt'])
@Check('chk_mail_outbox_status', `"status" IN ('pending', 'sent', 'failed')`)
export class MailOutbox {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'varchar', length: 40 })
  template!: string;

  /** null once the mail is sent, or its account deleted: the address is not kept longer than needed. */
  @Column({ type: 'varchar', length: 320, nullable: true })
  recipient!: string | null;

  @Column({ type: 'uuid', nullable: true })
  userId!: string | null;

  @Column({ type: 'jsonb', default: () => "'{}'" })
  params!: Record<string, unknown>;

  @Column({ type: 'bytea', nullable: true })
  secret!: Buffer | null;

  @Column({ type: 'varchar', length: 10, default: 'pending' })
  status!: MailStatus;

  @Column({ type: 'integer', default: 0 })
  attempts!: number;

  @Column({ type: 'timestamptz', default: () => 'now()' })
  nextAttemptAt!: Date;

  @Column({ type: 'text', nullable: true })
  lastError!: string | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;

  @Column({ type: 'timestamptz', nullable: true })
  sentAt!: Date | null;
}
