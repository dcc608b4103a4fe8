import type { DataSource, EntityManager } from 'typeorm';
import type { DeliveryStatus, SubscriptionKind } from '../../db/entities/index';
import { sql } from '../sql';

/**
 * The delivery rows of security events (auth.event_deliveries): what the senders claim, how a try
 * ends, replays, the backlog for /metrics and retention. Every statement stands alone (no session
 * state, no LISTEN), so all of it works through a transaction-mode pooler.
 */

/** A claimed push delivery with what sending it needs: the event and its subscription. */
export interface ClaimedDelivery {
  id: string;
  /** This try's number, counting this one. */
  attempts: number;
  event_id: string;
  type: string;
  occurred_at: Date;
  user_id: string | null;
  subject_key: string;
  txn: string;
  data: Record<string, unknown>;
  subscription_id: string;
  kind: SubscriptionKind;
  endpoint_url: string;
  secret: Buffer | null;
  previous_secret: Buffer | null;
  previous_secret_expires_at: Date | null;
  authorization_header: Buffer | null;
  client_id: string | null;
  subject_format: string;
}

/**
 * Claims up to `limit` due push deliveries for this instance, in one statement: FOR UPDATE SKIP
 * LOCKED keeps two instances from claiming the same row, and the try is counted and next_attempt_at
 * pushed past `leaseSeconds`. The claim is a lease, not a held lock: if this process dies before it
 * marks the row, the row is due again when the lease ends and another instance sends it (at least
 * once; never lost). Only the oldest pending delivery of each subject and subscription is eligible
 * (NOT EXISTS over the partial index), so a receiver gets one subject's events in order, each only
 * after the one before it was delivered or given up; paused subscriptions keep theirs for later.
 */
export async function claimDueDeliveries(dataSource: DataSource, limit: number, leaseSeconds: number): Promise<ClaimedDelivery[]> {
  const { rows } = await sql<ClaimedDelivery>(
    dataSource,
    `WITH due AS (
       SELECT d.id FROM auth.event_deliveries d
         JOIN auth.event_subscriptions s ON s.id = d.subscription_id AND s.status = 'enabled'
        WHERE d.status = 'pending' AND d.method = 'push' AND d.next_attempt_at <= statement_timestamp()
          AND NOT EXISTS (SELECT 1 FROM auth.event_deliveries p
                           WHERE p.status = 'pending' AND p.subscription_id = d.subscription_id
                             AND p.subject_key = d.subject_key AND p.event_id < d.event_id)
        ORDER BY d.next_attempt_at, d.id
        LIMIT $1
        FOR UPDATE OF d SKIP LOCKED
     ), claimed AS (
       UPDATE auth.event_deliveries d
          SET attempts = d.attempts + 1, next_attempt_at = statement_timestamp() + make_interval(secs => $2)
         FROM due WHERE d.id = due.id
       RETURNING d.id, d.attempts, d.event_id, d.subscription_id
     )
     SELECT c.id, c.attempts, c.event_id, e.type, e.occurred_at, e.user_id, e.subject_key, e.txn, e.data,
            c.subscription_id, s.kind, s.endpoint_url, s.secret, s.previous_secret, s.previous_secret_expires_at,
            s.authorization_header, s.client_id, s.subject_format
       FROM claimed c
       JOIN auth.security_events e ON e.id = c.event_id
       JOIN auth.event_subscriptions s ON s.id = c.subscription_id
      ORDER BY c.event_id`,
    [limit, leaseSeconds],
  );
  return rows;
}

/** Delivered: the row stays (for the admin view and metrics) until retention removes it. */
export async function markDelivered(dataSource: DataSource, id: string, status: number | null): Promise<void> {
  await sql(
    dataSource,
    `UPDATE auth.event_deliveries SET status = 'delivered', delivered_at = statement_timestamp(), last_error = NULL, last_status = $2
      WHERE id = $1 AND status = 'pending'`,
    [id, status],
  );
}

/**
 * A failed try: due again after `retryInMs`, or a dead letter when that is undefined. With
 * `keepLastError` (a row given up without a try of its own) the previous try's error and status stay.
 */
export async function markFailed(dataSource: DataSource, id: string, error: string, status: number | null, retryInMs: number | undefined, keepLastError = false): Promise<void> {
  await sql(
    dataSource,
    `UPDATE auth.event_deliveries
        SET status = CASE WHEN $4::int IS NULL THEN 'dead' ELSE 'pending' END,
            next_attempt_at = CASE WHEN $4::int IS NULL THEN next_attempt_at ELSE statement_timestamp() + make_interval(secs => $4::int / 1000.0) END,
            last_error = CASE WHEN $5 THEN COALESCE(last_error, $2) ELSE $2 END,
            last_status = CASE WHEN $5 THEN last_status ELSE $3 END
      WHERE id = $1 AND status = 'pending'`,
    [id, error.slice(0, 1_000), status, retryInMs ?? null, keepLastError],
  );
}

/**
 * Sets every event of `subscriptionId` that happened in [from, to) to be delivered again, in event
 * order: a delivery row that exists (delivered, dead or pending) becomes pending with its tries
 * reset; an event from before the subscription existed gets a row. The receiver sees the same
 * webhook-id / jti as the first time, so it can drop what it already has. Returns how many.
 */
export async function replayDeliveries(executor: DataSource | EntityManager, subscriptionId: string, from: Date, to: Date): Promise<number> {
  const { count } = await sql(
    executor,
    `INSERT INTO auth.event_deliveries (event_id, subscription_id, subject_key, method)
     SELECT e.id, s.id, e.subject_key, s.delivery_method
       FROM auth.event_subscriptions s
       JOIN auth.security_events e ON e.type = ANY (s.event_types)
      WHERE s.id = $1 AND e.occurred_at >= $2 AND e.occurred_at < $3
        AND (e.user_id IS NULL OR NOT (e.user_id = ANY (s.excluded_user_ids)))
      ORDER BY e.id
     ON CONFLICT (subscription_id, event_id) DO UPDATE
        SET status = 'pending', attempts = 0, next_attempt_at = statement_timestamp(), last_error = NULL, delivered_at = NULL`,
    [subscriptionId, from, to],
  );
  return count;
}

export interface SubscriptionBacklog {
  subscription_id: string;
  kind: SubscriptionKind;
  /** Deliveries waiting (retries included; for polled streams, not yet acknowledged). */
  pending: number;
  /** Seconds since the oldest of them was written; 0 when none waits. */
  oldest_age_seconds: number;
  /** Dead letters kept (until retention). */
  dead: number;
}

/** Per subscription: pending count and age, dead letters. One query on the (subscription_id, status) index. */
export async function readBacklog(dataSource: DataSource): Promise<SubscriptionBacklog[]> {
  const { rows } = await sql<SubscriptionBacklog>(
    dataSource,
    `SELECT s.id AS subscription_id, s.kind,
            count(d.id) FILTER (WHERE d.status = 'pending')::int AS pending,
            COALESCE(EXTRACT(EPOCH FROM statement_timestamp() - min(d.created_at) FILTER (WHERE d.status = 'pending')), 0)::float8 AS oldest_age_seconds,
            count(d.id) FILTER (WHERE d.status = 'dead')::int AS dead
       FROM auth.event_subscriptions s
       LEFT JOIN auth.event_deliveries d ON d.subscription_id = s.id AND d.status IN ('pending', 'dead')
      GROUP BY s.id, s.kind`,
  );
  return rows.map((r) => ({ ...r, oldest_age_seconds: Math.max(0, r.oldest_age_seconds) }));
}

export interface DeliveryView {
  id: string;
  event_id: string;
  type: string;
  occurred_at: string;
  status: DeliveryStatus;
  attempts: number;
  last_status: number | null;
  last_error: string | null;
  delivered_at: string | null;
}

/** A subscription's deliveries, newest first, optionally one status (the dead letters). */
export async function listDeliveries(dataSource: DataSource, subscriptionId: string, { status, limit = 100 }: { status?: DeliveryStatus | undefined; limit?: number }): Promise<DeliveryView[]> {
  const { rows } = await sql<Omit<DeliveryView, 'occurred_at' | 'delivered_at'> & { occurred_at: Date; delivered_at: Date | null }>(
    dataSource,
    `SELECT d.id, d.event_id, e.type, e.occurred_at, d.status, d.attempts, d.last_status, d.last_error, d.delivered_at
       FROM auth.event_deliveries d JOIN auth.security_events e ON e.id = d.event_id
      WHERE d.subscription_id = $1 AND ($2::text IS NULL OR d.status = $2)
      ORDER BY d.event_id DESC LIMIT $3`,
    [subscriptionId, status ?? null, limit],
  );
  return rows.map((r) => ({ ...r, id: String(r.id), event_id: String(r.event_id), occurred_at: r.occurred_at.toISOString(), delivered_at: r.delivered_at?.toISOString() ?? null }));
}

/** Deletes events older than `retentionDays` (their deliveries go with them), at most `batchSize`; returns how many. */
export async function pruneEvents(dataSource: DataSource, retentionDays: number, batchSize = 1_000): Promise<number> {
  const { count } = await sql(
    dataSource,
    `DELETE FROM auth.security_events WHERE id IN (
       SELECT id FROM auth.security_events WHERE occurred_at < statement_timestamp() - make_interval(days => $1) ORDER BY occurred_at LIMIT $2)`,
    [retentionDays, batchSize],
  );
  return count;
}
