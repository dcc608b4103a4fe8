import { Column, Entity, Index, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm';
import { AUTH_SCHEMA } from './schema';

/**
 * One security-relevant change (issue 29: src/auth/events), written in the transaction of the
 * change itself, so it exists exactly when the change committed. Its deliveries to webhooks and
 * Shared Signals streams are rows of auth.event_deliveries. `subject_key` is what ordering is per
 * (`user:<id>`, `client:<id>`, `stream:<id>`), `seq` the event's place among that subject's events,
 * counted under the subject's row lock in auth.security_event_subjects, so it follows commit order.
 * No foreign key to users: an account's events outlive its deletion until retention removes them.
 */
@Entity({ name: 'security_events', schema: AUTH_SCHEMA })
@Index(['occurredAt'])
@Index(['userId', 'id'])
export class SecurityEvent {
  @PrimaryGeneratedColumn('identity', { type: 'bigint', generatedIdentity: 'ALWAYS' })
  id!: string;

  @Column({ type: 'text' })
  type!: string;

  @Column({ type: 'timestamptz', default: () => 'now()' })
  occurredAt!: Date;

  @Column({ type: 'uuid', nullable: true })
  userId!: string | null;

  @Column({ type: 'text' })
  subjectKey!: string;

  @Column({ type: 'bigint' })
  seq!: string;

  /** The database transaction that wrote it: events of one change share it (SSF `txn`). */
  @Column({ type: 'text' })
  txn!: string;

  /** The event's fields (session id, reason, role...); never a secret, never an email address. */
  @Column({ type: 'jsonb', default: () => "'{}'" })
  data!: Record<string, unknown>;
}

/** One row per subject that has had an event: its lock (taken by each event) and its last sequence number. */
@Entity({ name: 'security_event_subjects', schema: AUTH_SCHEMA })
export class SecurityEventSubject {
  @PrimaryColumn({ type: 'text' })
  subjectKey!: string;

  @Column({ type: 'bigint', default: 0 })
  lastSeq!: string;
}
