import { DataSource, type EntityManager } from 'typeorm';
import { sql } from '../sql';
import { subjectKey, type EventSubject, type InitiatingEntity, type SecurityEventType, type StreamEventType } from './catalogue';
import { noteEventsWritten } from './committed';

export interface SecurityEventInput {
  type: SecurityEventType | StreamEventType;
  subject: EventSubject;
  /** Who made the change (CAEP initiating_entity); `user` when not given. */
  initiatedBy?: InitiatingEntity | undefined;
  /** The event's fields: ids, reasons, from/to. Never a secret, never an email address (refused). */
  data?: Record<string, unknown> | undefined;
  /** Deliver to this subscription only (a stream's verification or stream-updated event). */
  onlySubscription?: string | undefined;
}

/** Field names that must never be stored in an event: a secret, or an address that erasure must reach. */
const FORBIDDEN_FIELD = /pass(word|wd|phrase)|token$|secret|authorization|cookie|private_?key|email/i;

/**
 * Records a security event in the caller's transaction (issue 29), and its delivery rows for every
 * subscription that wants it, in one statement: the event commits exactly when the change does,
 * and a sender then delivers it (sender.ts). Give it the transaction's EntityManager; a DataSource
 * makes the event a statement of its own (for events that change nothing else).
 *
 * Ordering per subject: the statement first increments the subject's row in
 * auth.security_event_subjects, whose lock it holds until commit, so two transactions writing
 * events about one user are serialised and the second's event id (allocated after the lock) is
 * higher. Call it after the change's own writes, so this lock is the last one the transaction
 * takes and cannot close a cycle with locks taken in another order elsewhere.
 */
export async function recordSecurityEvent(executor: DataSource | EntityManager, event: SecurityEventInput): Promise<number> {
  const data: Record<string, unknown> = { ...event.data, initiated_by: event.initiatedBy ?? 'user' };
  for (const key of Object.keys(data)) {
    // A programming error, not a user's: events are kept EVENTS_RETENTION_DAYS and sent out.
    if (FORBIDDEN_FIELD.test(key)) throw new TypeError(`security event data may not carry "${key}"`);
  }
  const key = subjectKey(event.subject);
  const userId = 'user' in event.subject ? event.subject.user : null;
  if ('session' in event.subject && event.subject.session) data.session_id = event.subject.session;
  const { count } = await sql(
    executor,
    `WITH subject AS (
       INSERT INTO auth.security_event_subjects (subject_key, last_seq) VALUES ($1, 1)
       ON CONFLICT (subject_key) DO UPDATE SET last_seq = auth.security_event_subjects.last_seq + 1
       RETURNING last_seq
     ), event AS (
       INSERT INTO auth.security_events (type, occurred_at, user_id, subject_key, seq, txn, data)
       SELECT $2, statement_timestamp(), $3::uuid, $1, subject.last_seq, pg_current_xact_id()::text, $4::jsonb FROM subject
       RETURNING id
     )
     INSERT INTO auth.event_deliveries (event_id, subscription_id, subject_key, method)
     SELECT event.id, s.id, $1, s.delivery_method
       FROM event CROSS JOIN auth.event_subscriptions s
      WHERE s.status <> 'disabled'
        AND CASE WHEN $5::uuid IS NULL THEN $2 = ANY (s.event_types) ELSE s.id = $5::uuid END
        AND ($3::uuid IS NULL OR NOT ($3::uuid = ANY (s.excluded_user_ids)))`,
    [key, event.type, userId, JSON.stringify(data), event.onlySubscription ?? null],
  );
  if (count > 0) noteEventsWritten(executor);
  return count;
}

/** Runs `work` in the caller's transaction, or in a new one when given a DataSource. */
export function inTransaction<T>(executor: DataSource | EntityManager, work: (manager: EntityManager) => Promise<T>): Promise<T> {
  return executor instanceof DataSource ? executor.transaction(work) : work(executor);
}
