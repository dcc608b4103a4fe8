// Over 250 lines on purpose: the stream configuration of SSF 1.0 §8.1.1 (create, read, update,
// replace, delete) and its status (§8.1.2) share one row shape and one view; subjects,
// verification and polling live in their own files.
import type { DataSource } from 'typeorm';
import type { SubscriptionStatus } from '../../../db/entities/index';
import { AppError } from '../../../errors/app-error';
import { sql } from '../../sql';
import { recordSecurityEvent } from '../record';
import { assertReceiverUrl, type ReceiverUrlPolicy } from '../receiver-urls';
import { seal, type SealingKeys } from '../secrets';
import { SUPPORTED_EVENT_URIS, typesForUris } from './set-claims';

/** SSF 1.0 §6: the delivery method URIs. */
export const PUSH_METHOD = 'urn:ietf:rfc:8935';
export const POLL_METHOD = 'urn:ietf:rfc:8936';

export interface StreamDeps {
  dataSource: DataSource;
  policy: ReceiverUrlPolicy;
  sealing: SealingKeys;
  /** SSF_ISSUER: the stream's `iss`. */
  issuer: string;
  /** The poll endpoint of a stream (RFC 8936), which this service serves. */
  pollUrl(streamId: string): string;
  /** Seconds between verification requests (min_verification_interval). */
  minVerificationInterval: number;
}

/** What a receiver sends when creating, updating or replacing a stream (its Receiver-Supplied properties). */
export interface StreamInput {
  stream_id?: string | undefined;
  delivery?: { method: string; endpoint_url?: string | undefined; authorization_header?: string | undefined } | undefined;
  events_requested?: string[] | undefined;
  description?: string | undefined;
  /** Cat House extension: name users by `iss_sub` (default) or by `email` in this stream's SETs. */
  subject_format?: 'iss_sub' | 'email' | undefined;
  // Transmitter-Supplied properties a receiver may echo (they must match).
  iss?: unknown;
  aud?: unknown;
  events_supported?: unknown;
  events_delivered?: unknown;
  min_verification_interval?: unknown;
}

export interface StreamConfiguration {
  stream_id: string;
  iss: string;
  aud: string;
  delivery: { method: string; endpoint_url: string };
  events_supported: string[];
  events_requested: string[];
  events_delivered: string[];
  description?: string;
  min_verification_interval: number;
  subject_format: string;
}

interface StreamRow {
  id: string;
  client_id: string;
  delivery_method: 'push' | 'poll';
  endpoint_url: string | null;
  events_requested: string[] | null;
  description: string | null;
  subject_format: string;
  status: SubscriptionStatus;
  status_reason: string | null;
}

const ROW = `id, client_id, delivery_method, endpoint_url, events_requested, description, subject_format, status, status_reason`;

function invalid(name: string, reason: string): AppError {
  return new AppError('invalid_request', `The request body is invalid: ${name}: ${reason}.`, { fields: { invalid_params: [{ name, reason }] } });
}

const notFound = () => new AppError('not_found', 'No stream with this stream_id for this receiver.');

function view(deps: StreamDeps, row: StreamRow): StreamConfiguration {
  const requested = row.events_requested ?? [];
  return {
    stream_id: row.id,
    iss: deps.issuer,
    aud: row.client_id,
    delivery: { method: row.delivery_method === 'push' ? PUSH_METHOD : POLL_METHOD, endpoint_url: row.delivery_method === 'push' ? row.endpoint_url! : deps.pollUrl(row.id) },
    events_supported: SUPPORTED_EVENT_URIS,
    events_requested: requested,
    events_delivered: SUPPORTED_EVENT_URIS.filter((uri) => requested.includes(uri)),
    ...(row.description !== null ? { description: row.description } : {}),
    min_verification_interval: deps.minVerificationInterval,
    subject_format: row.subject_format,
  };
}

async function findStream(deps: StreamDeps, clientId: string, streamId: unknown): Promise<StreamRow> {
  if (typeof streamId !== 'string' || !/^[0-9a-f-]{36}$/.test(streamId)) throw notFound();
  const { rows } = await sql<StreamRow>(deps.dataSource, `SELECT ${ROW} FROM auth.event_subscriptions WHERE id = $1 AND kind = 'ssf' AND client_id = $2`, [streamId, clientId]);
  if (!rows[0]) throw notFound();
  return rows[0];
}

/** The stored form of the Receiver-Supplied properties; `base` are the values kept when absent (PATCH). */
async function receiverSupplied(deps: StreamDeps, input: StreamInput, base?: StreamRow) {
  const delivery = input.delivery;
  const method = delivery === undefined ? (base?.delivery_method ?? 'poll') : delivery.method === PUSH_METHOD ? 'push' : delivery.method === POLL_METHOD ? 'poll' : undefined;
  if (method === undefined) throw invalid('delivery.method', `must be ${PUSH_METHOD} (push) or ${POLL_METHOD} (poll)`);
  let endpointUrl = delivery === undefined ? (base?.endpoint_url ?? null) : null;
  if (method === 'push' && delivery !== undefined) {
    if (!delivery.endpoint_url) throw invalid('delivery.endpoint_url', 'push delivery needs the receiver\'s URL');
    endpointUrl = (await assertReceiverUrl(deps.policy, delivery.endpoint_url)).href;
  }
  if (method === 'poll') endpointUrl = null;
  const requested = input.events_requested ?? (base ? (base.events_requested ?? []) : SUPPORTED_EVENT_URIS);
  const types = typesForUris(requested);
  for (const [name, value] of [['iss', deps.issuer]] as const) {
    if (input[name] !== undefined && input[name] !== value) throw invalid(name, 'a Transmitter-Supplied property that does not match');
  }
  return {
    method,
    endpointUrl,
    requested,
    types,
    description: input.description === undefined ? (base?.description ?? null) : input.description,
    subjectFormat: input.subject_format ?? base?.subject_format ?? 'iss_sub',
    authorization: delivery === undefined ? undefined : delivery.authorization_header === undefined ? null : seal(deps.sealing, delivery.authorization_header),
  };
}

/**
 * SSF 1.0 §8.1.1.1: creates a stream for the authenticated receiver (several per receiver are
 * allowed). Without `delivery` the stream is polled (RFC 8936) at the URL we answer; with push
 * (RFC 8935) the receiver's URL is checked like a webhook's. Without `events_requested` every
 * supported event is delivered.
 */
export async function createStream(deps: StreamDeps, clientId: string, input: StreamInput): Promise<StreamConfiguration> {
  const v = await receiverSupplied(deps, input);
  const { rows } = await sql<StreamRow>(
    deps.dataSource,
    `INSERT INTO auth.event_subscriptions (kind, delivery_method, endpoint_url, event_types, events_requested, description, client_id, subject_format, authorization_header)
     VALUES ('ssf', $1, $2, $3, $4, $5, $6, $7, $8) RETURNING ${ROW}`,
    [v.method, v.endpointUrl, v.types, v.requested, v.description, clientId, v.subjectFormat, v.authorization ?? null],
  );
  return view(deps, rows[0]!);
}

/** §8.1.1.2: one stream, or every stream of the receiver when no stream_id is given. */
export async function readStreams(deps: StreamDeps, clientId: string, streamId: string | undefined): Promise<StreamConfiguration | StreamConfiguration[]> {
  if (streamId !== undefined) return view(deps, await findStream(deps, clientId, streamId));
  const { rows } = await sql<StreamRow>(deps.dataSource, `SELECT ${ROW} FROM auth.event_subscriptions WHERE kind = 'ssf' AND client_id = $1 ORDER BY created_at, id`, [clientId]);
  return rows.map((row) => view(deps, row));
}

/** §8.1.1.3 (PATCH: what is absent stays) and §8.1.1.4 (PUT: what is absent is reset). */
export async function changeStream(deps: StreamDeps, clientId: string, input: StreamInput, mode: 'update' | 'replace'): Promise<StreamConfiguration> {
  const row = await findStream(deps, clientId, input.stream_id);
  if (input.events_delivered !== undefined && JSON.stringify(input.events_delivered) !== JSON.stringify(view(deps, row).events_delivered)) {
    throw invalid('events_delivered', 'a Transmitter-Supplied property that does not match');
  }
  const v = await receiverSupplied(deps, input, mode === 'update' ? row : undefined);
  const { rows } = await sql<StreamRow>(
    deps.dataSource,
    `UPDATE auth.event_subscriptions
        SET delivery_method = $2, endpoint_url = $3, event_types = $4, events_requested = $5, description = $6, subject_format = $7,
            authorization_header = CASE WHEN $8 THEN $9 ELSE authorization_header END, updated_at = statement_timestamp()
      WHERE id = $1 RETURNING ${ROW}`,
    [row.id, v.method, v.endpointUrl, v.types, v.requested, v.description, v.subjectFormat, v.authorization !== undefined || mode === 'replace', v.authorization ?? null],
  );
  // Events already waiting keep the method they were written for; a changed method applies to them too.
  await sql(deps.dataSource, `UPDATE auth.event_deliveries SET method = $2 WHERE subscription_id = $1 AND status = 'pending' AND method <> $2`, [row.id, v.method]);
  return view(deps, rows[0]!);
}

/** §8.1.1.5: deletes the stream and whatever it still held. */
export async function deleteStream(deps: StreamDeps, clientId: string, streamId: string | undefined): Promise<void> {
  const row = await findStream(deps, clientId, streamId);
  await sql(deps.dataSource, `DELETE FROM auth.event_subscriptions WHERE id = $1`, [row.id]);
}

export interface StreamStatus {
  stream_id: string;
  status: SubscriptionStatus;
  reason?: string;
}

/** §8.1.2.1 */
export async function readStreamStatus(deps: StreamDeps, clientId: string, streamId: string | undefined): Promise<StreamStatus> {
  const row = await findStream(deps, clientId, streamId);
  return { stream_id: row.id, status: row.status, ...(row.status_reason ? { reason: row.status_reason } : {}) };
}

/**
 * §8.1.2.2: enabled, paused (events are held and sent when enabled again, in order) or disabled
 * (nothing is held: waiting events are dropped, new ones are not written).
 */
export async function updateStreamStatus(deps: StreamDeps, clientId: string, input: { stream_id?: unknown; status?: unknown; reason?: unknown }): Promise<StreamStatus> {
  const row = await findStream(deps, clientId, input.stream_id);
  if (input.status !== 'enabled' && input.status !== 'paused' && input.status !== 'disabled') throw invalid('status', 'must be enabled, paused or disabled');
  if (input.reason !== undefined && (typeof input.reason !== 'string' || input.reason.length > 500)) throw invalid('reason', 'must be a string of at most 500 characters');
  const reason = (input.reason as string | undefined) ?? null;
  await deps.dataSource.transaction(async (manager) => {
    await sql(manager, `UPDATE auth.event_subscriptions SET status = $2, status_reason = $3, updated_at = statement_timestamp() WHERE id = $1`, [row.id, input.status, reason]);
    if (input.status === 'disabled') await sql(manager, `DELETE FROM auth.event_deliveries WHERE subscription_id = $1 AND status = 'pending'`, [row.id]);
  });
  return { stream_id: row.id, status: input.status, ...(reason ? { reason } : {}) };
}

/**
 * §8.1.4.2: asks for a verification event on the stream (delivered like any other, after what is
 * already waiting). 429 when asked again within min_verification_interval.
 */
export async function requestVerification(deps: StreamDeps, clientId: string, input: { stream_id?: unknown; state?: unknown }): Promise<void> {
  const row = await findStream(deps, clientId, input.stream_id);
  if (input.state !== undefined && (typeof input.state !== 'string' || input.state.length > 1_000)) throw invalid('state', 'must be a string of at most 1000 characters');
  await deps.dataSource.transaction(async (manager) => {
    const { count } = await sql(
      manager,
      `UPDATE auth.event_subscriptions SET last_verification_at = statement_timestamp()
        WHERE id = $1 AND (last_verification_at IS NULL OR last_verification_at <= statement_timestamp() - make_interval(secs => $2))`,
      [row.id, deps.minVerificationInterval],
    );
    if (count === 0) {
      throw new AppError('rate_limited', `Verification may be asked at most every ${deps.minVerificationInterval} seconds (min_verification_interval).`, {
        headers: { 'retry-after': String(deps.minVerificationInterval) },
      });
    }
    await recordSecurityEvent(manager, { type: 'ssf.verification', subject: { stream: row.id }, initiatedBy: 'system', data: input.state === undefined ? {} : { state: input.state }, onlySubscription: row.id });
  });
}
