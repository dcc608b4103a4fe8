import { Check, Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';
import { AUTH_SCHEMA } from './schema';
import { ServiceClient } from './service-client.entity';

export const SUBSCRIPTION_KINDS = ['webhook', 'ssf'] as const;
export type SubscriptionKind = (typeof SUBSCRIPTION_KINDS)[number];
export const DELIVERY_METHODS = ['push', 'poll'] as const;
export type DeliveryMethod = (typeof DELIVERY_METHODS)[number];
export const SUBSCRIPTION_STATUSES = ['enabled', 'paused', 'disabled'] as const;
export type SubscriptionStatus = (typeof SUBSCRIPTION_STATUSES)[number];

/**
 * Where security events go (issue 29): a webhook (an admin's URL, Standard Webhooks signatures) or
 * a Shared Signals stream (a service client's receiver, SETs pushed or polled). Secrets (the
 * webhook's signing secrets, a stream's authorization header) are sealed with a key derived from
 * TOKEN_SECRET (src/auth/events/secrets.ts): the database never holds them in clear.
 * `paused` holds new events for later; `disabled` drops them.
 */
@Entity({ name: 'event_subscriptions', schema: AUTH_SCHEMA })
@Index(['clientId'])
@Check('chk_event_subscriptions_kind', `"kind" IN ('webhook', 'ssf')`)
@Check('chk_event_subscriptions_delivery_method', `"delivery_method" IN ('push', 'poll')`)
@Check('chk_event_subscriptions_status', `"status" IN ('enabled', 'paused', 'disabled')`)
export class EventSubscription {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'text' })
  kind!: SubscriptionKind;

  @Column({ type: 'text', default: 'push' })
  deliveryMethod!: DeliveryMethod;

  /** Push: the receiver's URL. Null for polled streams. */
  @Column({ type: 'text', nullable: true })
  endpointUrl!: string | null;

  /** The event types (catalogue names, e.g. session.revoked) delivered here. */
  @Column({ type: 'text', array: true })
  eventTypes!: string[];

  @Column({ type: 'text', default: 'enabled' })
  status!: SubscriptionStatus;

  @Column({ type: 'text', nullable: true })
  statusReason!: string | null;

  @Column({ type: 'text', nullable: true })
  description!: string | null;

  /** The service client that owns a stream (SSF receivers); null for webhooks. */
  @Column({ type: 'varchar', length: 64, nullable: true })
  clientId!: string | null;

  @ManyToOne(() => ServiceClient, { nullable: true, onDelete: 'CASCADE' })
  @JoinColumn({ name: 'client_id' })
  client?: ServiceClient;

  /** Webhooks: the current signing secret, sealed. */
  @Column({ type: 'bytea', nullable: true })
  secret!: Buffer | null;

  /** Webhooks: the secret before the last rotation, still signed with until previous_secret_expires_at. */
  @Column({ type: 'bytea', nullable: true })
  previousSecret!: Buffer | null;

  @Column({ type: 'timestamptz', nullable: true })
  previousSecretExpiresAt!: Date | null;

  /** SSF push: the Authorization header the receiver asked for, sealed. */
  @Column({ type: 'bytea', nullable: true })
  authorizationHeader!: Buffer | null;

  /** SSF: the event type URIs the receiver asked for, as it asked. */
  @Column({ type: 'text', array: true, nullable: true })
  eventsRequested!: string[] | null;

  /** SSF: users the receiver removed from the stream (remove-subject); their events are not sent. */
  @Column({ type: 'uuid', array: true, default: () => "'{}'" })
  excludedUserIds!: string[];

  /** SSF: how users are named in SETs: iss_sub (the user id) or email (resolved when sent). */
  @Column({ type: 'text', default: 'iss_sub' })
  subjectFormat!: string;

  @Column({ type: 'timestamptz', nullable: true })
  lastVerificationAt!: Date | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt!: Date;
}
