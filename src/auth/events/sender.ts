import { startOutboxLoop } from '../outbox-loop';
import type { DataSource } from 'typeorm';
import type { EventsSettings } from '../../config/events-settings';
import type { Logger } from '../../logging/logger';
import { sql } from '../sql';
import type { SigningKeys } from '../tokens/signing-keys';
import { onEventsCommitted } from './committed';
import { postToReceiver } from './delivery';
import { claimDueDeliveries, markDelivered, markFailed, type ClaimedDelivery } from './outbox';
import { unseal, type SealingKeys } from './secrets';
import { setClaims } from './ssf/set-claims';
import { signSet, SET_TYPE } from './ssf/set-signing';
import { webhookBody, webhookId } from './webhook-message';
import { webhookHeaders } from './webhook-signature';

/** What the sender reports for monitoring (http/metrics.ts implements it); every method must not throw. */
export interface EventsObserver {
  /** A delivery succeeded `delaySeconds` after its event happened. */
  delivered?(subscriptionId: string, kind: string, delaySeconds: number): void;
  /** A try failed; `dead` when it was the last. */
  failed?(subscriptionId: string, kind: string, dead: boolean): void;
}

export interface EventSender {
  /** Looks for due deliveries now instead of at the next poll. */
  nudge(): void;
  /** Runs passes until nothing is due now; for tests and shutdown. */
  drain(): Promise<void>;
  /** Stops polling and waits for the pass in flight. */
  stop(): Promise<void>;
}

export interface EventSenderDeps {
  dataSource: DataSource;
  settings: EventsSettings;
  sealing: SealingKeys;
  signingKeys: SigningKeys;
  /** JWT_ISSUER: the `iss` of iss_sub subjects (the issuer of the `sub`s receivers see in tokens). */
  subjectIssuer: string;
  logger: Logger;
  observer?: EventsObserver;
}

const BATCH = 20;

/** Milliseconds before try n+1 after n failed tries: base * 2^(n-1), at most `max`. */
export function retryDelayMs(base: number, max: number, failedTries: number): number {
  return Math.min(max, base * 2 ** Math.max(0, Math.min(30, failedTries - 1)));
}

/**
 * The per-instance sender of security events (issue 29), built like the mail sender: it polls
 * (and is nudged after local commits), claims due push deliveries with SKIP LOCKED so that
 * instances share the work without sending twice, delivers a batch in parallel (only one event
 * per subject and receiver at a time: outbox.ts), and retries with exponential backoff. A delivery
 * still failing after EVENTS_MAX_ATTEMPTS tries becomes a dead letter (status dead, logged at
 * error, counted for the alert). Never throws: a database outage only delays the next pass.
 */
export function startEventSender(deps: EventSenderDeps): EventSender {
  const { dataSource, settings, logger, observer = {} } = deps;
  const leaseSeconds = Math.ceil((2 * settings.sendTimeoutMs) / 1000);

  async function request(row: ClaimedDelivery): Promise<{ headers: Record<string, string>; body: string }> {
    if (row.kind === 'webhook') {
      const secrets = [row.secret, row.previous_secret_expires_at && row.previous_secret_expires_at > new Date() ? row.previous_secret : null]
        .filter((s): s is Buffer => s !== null)
        .map((s) => unseal(deps.sealing, s));
      const body = webhookBody(row);
      return { headers: { 'content-type': 'application/json', ...webhookHeaders(secrets, webhookId(row.event_id), body) }, body };
    }
    let email: string | null = null;
    if (row.subject_format === 'email' && row.user_id) {
      const { rows } = await sql<{ email: string }>(dataSource, `SELECT email FROM auth.users WHERE id = $1 AND deleted_at IS NULL`, [row.user_id]);
      email = rows[0]?.email ?? null;
    }
    const claims = setClaims(row, row.id, { issuer: settings.ssfIssuer, subjectIssuer: deps.subjectIssuer, audience: row.client_id ?? '', email });
    if (!claims) throw new Error(`the event type ${row.type} has no Shared Signals form`);
    const headers: Record<string, string> = { 'content-type': `application/${SET_TYPE}`, accept: 'application/json' };
    if (row.authorization_header) headers.authorization = unseal(deps.sealing, row.authorization_header);
    return { headers, body: signSet(deps.signingKeys, claims) };
  }

  async function deliver(row: ClaimedDelivery): Promise<void> {
    const log = { delivery_id: row.id, event_id: row.event_id, event_type: row.type, subscription_id: row.subscription_id, attempt: row.attempts };
    if (row.attempts > settings.maxAttempts) {
      // Tried as often as the bound allows already: by senders that died mid-send, or by instances
      // with a higher EVENTS_MAX_ATTEMPTS (during a deploy that lowers it). The last try's error stays.
      await markFailed(dataSource, row.id, `given up after ${row.attempts - 1} tries (EVENTS_MAX_ATTEMPTS=${settings.maxAttempts}); no try finished`, null, undefined, true);
      observer.failed?.(row.subscription_id, row.kind, true);
      logger.error({ ...log, event: 'security_event_dead' }, 'security event delivery given up (dead letter)');
      return;
    }
    let status: number | null = null;
    let error: string;
    try {
      const { headers, body } = await request(row);
      const answer = await postToReceiver(settings, row.endpoint_url, headers, body, settings.sendTimeoutMs);
      status = answer.status;
      if (status >= 200 && status < 300) {
        await markDelivered(dataSource, row.id, status);
        observer.delivered?.(row.subscription_id, row.kind, Math.max(0, (Date.now() - row.occurred_at.getTime()) / 1000));
        logger.debug({ ...log, event: 'security_event_delivered', status }, 'security event delivered');
        return;
      }
      // RFC 8935 §2.3: a refused SET comes with {err, description}; kept for the admin view.
      error = `the receiver answered ${status}${answer.body ? `: ${answer.body.slice(0, 300)}` : ''}`;
    } catch (err) {
      error = err instanceof Error ? err.message : String(err);
    }
    const dead = row.attempts >= settings.maxAttempts;
    const retryIn = dead ? undefined : retryDelayMs(settings.retryBaseMs, settings.retryMaxMs, row.attempts);
    await markFailed(dataSource, row.id, error, status, retryIn);
    observer.failed?.(row.subscription_id, row.kind, dead);
    if (dead) logger.error({ ...log, event: 'security_event_dead', status, error }, `security event delivery given up after ${row.attempts} tries (dead letter)`);
    else logger.warn({ ...log, event: 'security_event_retry', status, error, retry_in_ms: retryIn }, 'security event not delivered; will retry');
  }

  const loop = startOutboxLoop({
    claim: () => claimDueDeliveries(dataSource, BATCH, leaseSeconds),
    deliver,
    // A pass that sent something looks again at once: the next event of each subject became
    // eligible when the one before it was delivered.
    again: (claimed) => claimed > 0,
    pollIntervalMs: settings.pollIntervalMs,
    onDeliveryError: (err, row) => logger.warn({ err, delivery_id: row.id }, 'security event delivery update failed'),
    onPollError: (err) => logger.warn({ err }, 'security event outbox poll failed'),
  });
  const stopWatching = onEventsCommitted(dataSource, loop.nudge);

  return {
    nudge: loop.nudge,
    drain: loop.drain,
    async stop() {
      stopWatching();
      await loop.stop();
    },
  };
}
