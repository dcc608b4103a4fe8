import { Check, Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn, Unique } from 'typeorm';
import { AUTH_SCHEMA } from './schema';
import { EventSubscription } from './event-subscription.entity';
import { SecurityEvent } from './security-event.entity';

export const DELIVERY_STATUSES = ['pending', 'delivered', 'dead'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

/**
 * One event for one subscription (issue 29): written with the event, in its transaction, for every
 * subscription that wants it; claimed by a sender with FOR UPDATE SKIP LOCKED (push), or handed to
 * the receiver when it polls (poll). One row per event and subscription: a replay sets it pending
 * again rather than adding a second. `dead` is the dead letter: the tries ran out (metric and alert).
 */
@Entity({ name: 'event_deliveries', schema: AUTH_SCHEMA })
@Unique(['subscriptionId', 'eventId'])
@Index(['method', 'nextAttemptAt'], { where: `"status" = 'pending'` })
@Index(['subscriptionId', 'subjectKey', 'eventId'], { where: `"status" = 'pending'` })
@Index(['subscriptionId', 'status'])
@Index(['eventId'])
@Check('chk_event_deliveries_status', `"status" IN ('pending', 'delivered', 'dead')`)
@Check('chk_event_deliveries_method', `"method" IN ('push', 'poll')`)
export class EventDelivery {
  @PrimaryGeneratedColumn('identity', { type: 'bigint', generatedIdentity: 'ALWAYS' })
  id!: string;

  @Column({ type: 'bigint' })
  eventId!: string;

  @ManyToOne(() => SecurityEvent, { nullable: false, onDelete: 'CASCADE' })
  @JoinColumn({ name: 'event_id' })
  event?: SecurityEvent;

  @Column({ type: 'uuid' })
  subscriptionId!: string;

  @ManyToOne(() => EventSubscription, { nullable: false, onDelete: 'CASCADE' })
  @JoinColumn({ name: 'subscription_id' })
  subscription?: EventSubscription;

  /** The event's subject_key, here so that "no earlier pending event of this subject" is one index probe. */
  @Column({ type: 'text' })
  subjectKey!: string;

  @Column({ type: 'text' })
  method!: 'push' | 'poll';

  @Column({ type: 'text', default: 'pending' })
  status!: DeliveryStatus;

  @Column({ type: 'integer', default: 0 })
  attempts!: number;

  @Column({ type: 'timestamptz', default: () => 'now()' })
  nextAttemptAt!: Date;

  @Column({ type: 'text', nullable: true })
  lastError!: string | null;

  /** The receiver's HTTP status on the last try (null: no answer). */
  @Column({ type: 'integer', nullable: true })
  lastStatus!: number | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;

  @Column({ type: 'timestamptz', nullable: true })
  deliveredAt!: Date | null;
}
