import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import type { PathHelpers } from './account-paths';
import { BODY_ERRORS } from './responses';
import {
  CreateWebhookRequest,
  Deliveries,
  DeliveriesQuery,
  PollRequest,
  PollResponse,
  Replayed,
  ReplayRequest,
  RotateWebhookSecretRequest,
  StreamConfiguration,
  StreamIdParams,
  StreamIdQuery,
  StreamRequest,
  StreamStatus,
  StreamStatusRequest,
  SubjectRequest,
  TransmitterMetadata,
  UpdateWebhookRequest,
  VerificationRequest,
  Webhook,
  WebhookIdParams,
  Webhooks,
  WebhookWithSecret,
} from './events-schemas';

/**
 * Security events (issue 29): the admin API of webhook subscriptions and the Shared Signals
 * transmitter (stream management for service clients with ssf.manage / ssf.read, RFC 8936 poll).
 * docs/events.md describes the events and the delivery guarantees.
 */
export function registerEventPaths(registry: OpenAPIRegistry, { path: p, authenticated, problems, json }: PathHelpers): void {
  const admin = ['invalid_token', 'forbidden'] as const;
  const hook = p('/admin/webhooks/{id}');
  registry.registerPath({ method: 'get', path: p('/admin/webhooks'), summary: 'List webhooks (admin)', security: authenticated, responses: { 200: { description: 'Webhooks, never their secrets.', ...json(Webhooks) }, ...problems(...admin) } });
  registry.registerPath({
    method: 'post',
    path: p('/admin/webhooks'),
    summary: 'Create a webhook (admin)',
    description: 'Security events of the chosen types are POSTed to the URL, signed the Standard Webhooks way with the returned `whsec_` secret (shown once). The URL must be https in production; private, loopback and link-local addresses only inside EVENTS_ALLOWED_NETWORKS.',
    security: authenticated,
    request: { body: { required: true, ...json(CreateWebhookRequest) } },
    responses: { 201: { description: 'Created, with its secret.', ...json(WebhookWithSecret) }, ...problems(...BODY_ERRORS, ...admin) },
  });
  registry.registerPath({ method: 'get', path: hook, summary: 'Read a webhook (admin)', security: authenticated, request: { params: WebhookIdParams }, responses: { 200: { description: 'The webhook.', ...json(Webhook) }, ...problems('invalid_request', ...admin, 'not_found') } });
  registry.registerPath({
    method: 'patch',
    path: hook,
    summary: 'Change a webhook (admin)',
    description: 'URL, event types, description, status (paused keeps events for later, in order; disabled keeps none).',
    security: authenticated,
    request: { params: WebhookIdParams, body: { required: true, ...json(UpdateWebhookRequest) } },
    responses: { 200: { description: 'The webhook.', ...json(Webhook) }, ...problems(...BODY_ERRORS, ...admin, 'not_found') },
  });
  registry.registerPath({ method: 'delete', path: hook, summary: 'Delete a webhook and what it still had to deliver (admin)', security: authenticated, request: { params: WebhookIdParams }, responses: { 204: { description: 'Deleted.' }, ...problems('invalid_request', ...admin, 'not_found') } });
  registry.registerPath({
    method: 'post',
    path: `${hook}/rotate-secret`,
    summary: 'Rotate the signing secret (admin)',
    description: 'The old secret keeps signing beside the new one (two signatures per message) for grace_seconds (default EVENTS_SECRET_ROTATION_GRACE_SECONDS).',
    security: authenticated,
    request: { params: WebhookIdParams, body: { required: false, ...json(RotateWebhookSecretRequest) } },
    responses: { 200: { description: 'The webhook and its new secret (shown once).', ...json(WebhookWithSecret) }, ...problems(...BODY_ERRORS, ...admin, 'not_found') },
  });
  registry.registerPath({
    method: 'post',
    path: `${hook}/replay`,
    summary: 'Deliver the events of a time range again (admin)',
    description: 'Every event of [from, to) this webhook subscribes to, in order, with the same webhook-id as the first time (receivers drop what they already have). Events past EVENTS_RETENTION_DAYS are gone.',
    security: authenticated,
    request: { params: WebhookIdParams, body: { required: true, ...json(ReplayRequest) } },
    responses: { 200: { description: 'How many deliveries were set pending.', ...json(Replayed) }, ...problems(...BODY_ERRORS, ...admin, 'not_found') },
  });
  registry.registerPath({
    method: 'get',
    path: `${hook}/deliveries`,
    summary: "A webhook's deliveries, newest first (admin)",
    description: '`status=dead` lists the dead letters (given up after EVENTS_MAX_ATTEMPTS tries), with the last error.',
    security: authenticated,
    request: { params: WebhookIdParams, query: DeliveriesQuery },
    responses: { 200: { description: 'Deliveries.', ...json(Deliveries) }, ...problems('invalid_request', ...admin, 'not_found') },
  });

  registry.registerPath({ method: 'get', path: '/.well-known/ssf-configuration', summary: 'Shared Signals transmitter metadata (SSF 1.0 §7)', responses: { 200: { description: 'The metadata.', ...json(TransmitterMetadata) } } });
  const receiver = ['invalid_token', 'insufficient_scope'] as const;
  const stream = p('/ssf/stream');
  const note = ' A service token (client credentials) with `ssf.manage` (`ssf.read` for reads).';
  registry.registerPath({ method: 'post', path: stream, summary: 'Create a stream (SSF 1.0 §8.1.1.1)', description: `Poll by default; push with delivery.method urn:ietf:rfc:8935.${note}`, security: authenticated, request: { body: { required: true, ...json(StreamRequest) } }, responses: { 201: { description: 'The stream.', ...json(StreamConfiguration) }, ...problems(...BODY_ERRORS, ...receiver) } });
  registry.registerPath({ method: 'get', path: stream, summary: 'Read a stream, or all of this receiver\'s', description: note.trim(), security: authenticated, request: { query: StreamIdQuery }, responses: { 200: { description: 'The stream, or an array of them without stream_id.', ...json(StreamConfiguration) }, ...problems(...receiver, 'not_found') } });
  registry.registerPath({ method: 'patch', path: stream, summary: 'Update a stream (absent members stay)', description: note.trim(), security: authenticated, request: { body: { required: true, ...json(StreamRequest) } }, responses: { 200: { description: 'The stream.', ...json(StreamConfiguration) }, ...problems(...BODY_ERRORS, ...receiver, 'not_found') } });
  registry.registerPath({ method: 'put', path: stream, summary: 'Replace a stream (absent members reset)', description: note.trim(), security: authenticated, request: { body: { required: true, ...json(StreamRequest) } }, responses: { 200: { description: 'The stream.', ...json(StreamConfiguration) }, ...problems(...BODY_ERRORS, ...receiver, 'not_found') } });
  registry.registerPath({ method: 'delete', path: stream, summary: 'Delete a stream and what it still held', description: note.trim(), security: authenticated, request: { query: StreamIdQuery }, responses: { 204: { description: 'Deleted.' }, ...problems(...receiver, 'not_found') } });
  registry.registerPath({ method: 'get', path: p('/ssf/status'), summary: "A stream's status", description: note.trim(), security: authenticated, request: { query: StreamIdQuery }, responses: { 200: { description: 'The status.', ...json(StreamStatus) }, ...problems(...receiver, 'not_found') } });
  registry.registerPath({ method: 'post', path: p('/ssf/status'), summary: 'Enable, pause (events held, sent later in order) or disable (events dropped) a stream', description: note.trim(), security: authenticated, request: { body: { required: true, ...json(StreamStatusRequest) } }, responses: { 200: { description: 'The status.', ...json(StreamStatus) }, ...problems(...BODY_ERRORS, ...receiver, 'not_found') } });
  registry.registerPath({ method: 'post', path: p('/ssf/subjects:add'), summary: 'Add a subject back to a stream', description: `Streams start with every user (default_subjects ALL). An unknown subject is accepted and changes nothing (no account enumeration).${note}`, security: authenticated, request: { body: { required: true, ...json(SubjectRequest) } }, responses: { 200: { description: 'Added.' }, ...problems(...BODY_ERRORS, ...receiver, 'not_found') } });
  registry.registerPath({ method: 'post', path: p('/ssf/subjects:remove'), summary: "Remove a subject: that user's events are no longer sent on the stream", description: note.trim(), security: authenticated, request: { body: { required: true, ...json(SubjectRequest) } }, responses: { 204: { description: 'Removed.' }, ...problems(...BODY_ERRORS, ...receiver, 'not_found') } });
  registry.registerPath({ method: 'post', path: p('/ssf/verify'), summary: 'Ask for a verification event (SSF 1.0 §8.1.4.2)', description: `Delivered on the stream after what already waits, carrying state. At most every min_verification_interval seconds (429 with Retry-After).${note}`, security: authenticated, request: { body: { required: true, ...json(VerificationRequest) } }, responses: { 204: { description: 'Queued.' }, ...problems(...BODY_ERRORS, ...receiver, 'not_found', 'rate_limited') } });
  registry.registerPath({
    method: 'post',
    path: p('/ssf/poll/{streamId}'),
    summary: 'Poll a stream (RFC 8936)',
    description: `Acknowledges (ack) or refuses (setErrs) the SETs of the last answer and returns the next ones, oldest first. Unacknowledged SETs come again with the same jti.${note}`,
    security: authenticated,
    request: { params: StreamIdParams, body: { required: true, ...json(PollRequest) } },
    responses: { 200: { description: 'SETs by jti.', ...json(PollResponse) }, ...problems(...BODY_ERRORS, ...receiver, 'not_found') },
  });
}
