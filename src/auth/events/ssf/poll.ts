import type { DataSource } from 'typeorm';
import { AppError } from '../../../errors/app-error';
import { sql } from '../../sql';
import type { SigningKeys } from '../../tokens/signing-keys';
import { onEventsCommitted } from '../committed';
import type { EventRow } from '../webhook-message';
import { setClaims } from './set-claims';
import { signSet } from './set-signing';
import { readStreamStatus, type StreamDeps } from './streams';

/**
 * Poll-based SET delivery (RFC 8936) for streams created with urn:ietf:rfc:8936. One request
 * acknowledges what the receiver has processed (`ack`; `setErrs` for SETs it refused, which become
 * dead letters with the receiver's error) and asks for more: up to `maxEvents` SETs, oldest first,
 * so one subject's events arrive in order. Unacknowledged SETs are returned again by the next poll
 * (at-least-once; `jti` is stable, so the receiver can drop repeats). Without `returnImmediately`
 * an empty stream is a long poll: the answer waits until events arrive or SSF_POLL_MAX_WAIT_MS.
 */
export interface PollRequest {
  ack?: unknown;
  setErrs?: unknown;
  maxEvents?: unknown;
  returnImmediately?: unknown;
}

export interface PollResponse {
  sets: Record<string, string>;
  moreAvailable: boolean;
}

export interface PollDeps extends StreamDeps {
  signingKeys: SigningKeys;
  subjectIssuer: string;
  maxWaitMs: number;
  /** Between two looks during a long poll. */
  pollIntervalMs: number;
}

function invalid(description: string): AppError {
  // RFC 8936 §2.4.4's members beside the problem's own.
  return new AppError('invalid_request', `The poll request is invalid: ${description}.`, { fields: { err: 'invalid_request', description } });
}

const deliveryIdOf = (jti: string) => (/^set_([1-9][0-9]{0,18})$/.exec(jti) ?? [])[1];

function parse(input: PollRequest) {
  const ack = input.ack ?? [];
  if (!Array.isArray(ack) || !ack.every((j) => typeof j === 'string') || ack.length > 10_000) throw invalid('ack must be an array of jti strings');
  const errs = input.setErrs ?? {};
  if (errs === null || typeof errs !== 'object' || Array.isArray(errs)) throw invalid('setErrs must be an object of jti to {err, description}');
  const maxEvents = input.maxEvents ?? 100;
  if (!Number.isInteger(maxEvents) || (maxEvents as number) < 0 || (maxEvents as number) > 1_000) throw invalid('maxEvents must be a whole number from 0 to 1000');
  if (input.returnImmediately !== undefined && typeof input.returnImmediately !== 'boolean') throw invalid('returnImmediately must be true or false');
  return { ack: ack as string[], errs: errs as Record<string, { err?: unknown; description?: unknown }>, maxEvents: maxEvents as number, returnImmediately: input.returnImmediately === true };
}

export async function pollStream(deps: PollDeps, clientId: string, streamId: string, input: PollRequest, signal?: AbortSignal): Promise<PollResponse> {
  const { status } = await readStreamStatus(deps, clientId, streamId);
  const request = parse(input);
  const acked = request.ack.map(deliveryIdOf).filter((id): id is string => id !== undefined);
  if (acked.length > 0) {
    await sql(
      deps.dataSource,
      `UPDATE auth.event_deliveries SET status = 'delivered', delivered_at = statement_timestamp() WHERE subscription_id = $1 AND status = 'pending' AND id = ANY ($2::bigint[])`,
      [streamId, acked],
    );
  }
  for (const [jti, error] of Object.entries(request.errs)) {
    const id = deliveryIdOf(jti);
    if (id === undefined) continue;
    const text = `the receiver refused it: ${String(error?.err ?? 'error')}${error?.description ? `: ${String(error.description)}` : ''}`.slice(0, 1_000);
    await sql(deps.dataSource, `UPDATE auth.event_deliveries SET status = 'dead', last_error = $3 WHERE subscription_id = $1 AND status = 'pending' AND id = $2::bigint`, [streamId, id, text]);
  }
  // A paused or disabled stream transmits nothing (SSF 1.0 §8.1.2).
  if (request.maxEvents === 0 || status !== 'enabled') return { sets: {}, moreAvailable: false };
  const deadline = Date.now() + (request.returnImmediately ? 0 : deps.maxWaitMs);
  for (;;) {
    const page = await pending(deps, streamId, request.maxEvents);
    if (page.sets.length > 0 || Date.now() >= deadline || signal?.aborted) {
      return { sets: Object.fromEntries(page.sets), moreAvailable: page.more };
    }
    await nextLook(deps.dataSource, Math.min(deps.pollIntervalMs, Math.max(0, deadline - Date.now())), signal);
  }
}

/**
 * Waits `ms`, or less: until this instance commits security events (a revocation made here reaches
 * a long-polling receiver at once) or the receiver goes away. Events committed by other instances
 * are found at the next look.
 */
function nextLook(dataSource: DataSource, ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      stop();
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    const stop = onEventsCommitted(dataSource, done);
    signal?.addEventListener('abort', done);
  });
}

async function pending(deps: PollDeps, streamId: string, limit: number): Promise<{ sets: [string, string][]; more: boolean }> {
  const { rows } = await sql<EventRow & { id: string; txn: string; client_id: string; subject_format: string; email: string | null }>(
    deps.dataSource,
    `SELECT d.id, d.event_id, e.type, e.occurred_at, e.user_id, e.subject_key, e.txn, e.data, s.client_id, s.subject_format,
            CASE WHEN s.subject_format = 'email' THEN (SELECT u.email FROM auth.users u WHERE u.id = e.user_id AND u.deleted_at IS NULL) END AS email
       FROM auth.event_deliveries d
       JOIN auth.security_events e ON e.id = d.event_id
       JOIN auth.event_subscriptions s ON s.id = d.subscription_id
      WHERE d.subscription_id = $1 AND d.status = 'pending' AND d.method = 'poll'
      ORDER BY d.event_id LIMIT $2`,
    [streamId, limit + 1],
  );
  const sets: [string, string][] = [];
  for (const row of rows.slice(0, limit)) {
    const claims = setClaims(row, String(row.id), { issuer: deps.issuer, subjectIssuer: deps.subjectIssuer, audience: row.client_id, email: row.email });
    if (claims) sets.push([claims.jti as string, signSet(deps.signingKeys, claims)]);
  }
  return { sets, more: rows.length > limit };
}
