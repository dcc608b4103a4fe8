import { extendZodWithOpenApi } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import { SECURITY_EVENT_TYPES } from '../../auth/events/catalogue';

/** Schemas of the admin webhook endpoints and the Shared Signals transmitter (issue 29). */
extendZodWithOpenApi(z);

const uuid = z.string().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, { message: 'expected a uuid' }).openapi({ format: 'uuid' });
const eventType = z.string().min(1).max(50).openapi({ enum: SECURITY_EVENT_TYPES, description: 'A name from the event catalogue (docs/events.md).' });
const dateTime = z.string().datetime({ offset: true, message: 'expected an RFC 3339 date-time, e.g. 2026-01-31T12:00:00Z' }).openapi({ format: 'date-time' });

export const WebhookIdParams = z.strictObject({ id: uuid });

export const CreateWebhookRequest = z
  .strictObject({
    url: z.string().min(1).max(2000).openapi({ description: 'https in production; private, loopback and link-local addresses only inside EVENTS_ALLOWED_NETWORKS.' }),
    event_types: z.array(eventType).min(1).max(50),
    description: z.string().max(500).nullable().optional(),
  })
  .openapi('CreateWebhookRequest');

export const UpdateWebhookRequest = z
  .strictObject({
    url: z.string().min(1).max(2000).optional(),
    event_types: z.array(eventType).min(1).max(50).optional(),
    description: z.string().max(500).nullable().optional(),
    status: z.enum(['enabled', 'paused', 'disabled']).optional().openapi({ description: 'paused: events are kept and sent, in order, when enabled again; disabled: events are not kept.' }),
  })
  .openapi('UpdateWebhookRequest');

export const RotateWebhookSecretRequest = z
  .strictObject({ grace_seconds: z.number().int().min(0).max(2_592_000).optional().openapi({ description: 'How long the old secret still signs beside the new one (default EVENTS_SECRET_ROTATION_GRACE_SECONDS).' }) })
  .openapi('RotateWebhookSecretRequest');

export const ReplayRequest = z.strictObject({ from: dateTime, to: dateTime }).openapi('ReplayRequest');

export const DeliveriesQuery = z.strictObject({
  status: z.enum(['pending', 'delivered', 'dead']).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});

export const Webhook = z
  .object({
    id: z.string().openapi({ format: 'uuid' }),
    url: z.string(),
    event_types: z.array(z.string()),
    status: z.enum(['enabled', 'paused', 'disabled']),
    description: z.string().nullable(),
    created_at: z.string().openapi({ format: 'date-time' }),
    updated_at: z.string().openapi({ format: 'date-time' }),
    previous_secret_expires_at: z.string().nullable().openapi({ format: 'date-time', description: 'While a rotated-out secret still signs.' }),
  })
  .openapi('Webhook');

export const WebhookWithSecret = Webhook.extend({ secret: z.string().openapi({ description: '`whsec_…` (Standard Webhooks): shown once.' }) }).openapi('WebhookWithSecret');
export const Webhooks = z.object({ webhooks: z.array(Webhook) }).openapi('Webhooks');
export const Replayed = z.object({ replayed: z.number().int() }).openapi('Replayed');

export const Delivery = z
  .object({
    id: z.string(),
    event_id: z.string(),
    type: z.string(),
    occurred_at: z.string().openapi({ format: 'date-time' }),
    status: z.enum(['pending', 'delivered', 'dead']),
    attempts: z.number().int(),
    last_status: z.number().int().nullable(),
    last_error: z.string().nullable(),
    delivered_at: z.string().nullable().openapi({ format: 'date-time' }),
  })
  .openapi('EventDelivery');
export const Deliveries = z.object({ deliveries: z.array(Delivery) }).openapi('EventDeliveries');

// Shared Signals (SSF 1.0). The transmitter checks these bodies itself (src/auth/events/ssf), with
// SSF's own rules (unknown members are ignored, Transmitter-Supplied ones must match); these
// schemas describe them for the document.
const subjectId = z.record(z.string(), z.unknown()).openapi('SubjectIdentifier', { description: 'RFC 9493 subject identifier: iss_sub, email, opaque or complex.' });

export const TransmitterMetadata = z
  .object({
    spec_version: z.string(),
    issuer: z.string(),
    jwks_uri: z.string(),
    delivery_methods_supported: z.array(z.string()),
    configuration_endpoint: z.string(),
    status_endpoint: z.string(),
    add_subject_endpoint: z.string(),
    remove_subject_endpoint: z.string(),
    verification_endpoint: z.string(),
    authorization_schemes: z.array(z.object({ spec_urn: z.string() })),
    default_subjects: z.enum(['ALL', 'NONE']),
  })
  .openapi('SsfTransmitterMetadata');

export const StreamRequest = z
  .object({
    stream_id: z.string().optional().openapi({ description: 'Required for PATCH and PUT.' }),
    delivery: z
      .object({
        method: z.enum(['urn:ietf:rfc:8935', 'urn:ietf:rfc:8936']),
        endpoint_url: z.string().optional().openapi({ description: 'Push: the receiver URL (checked like a webhook URL).' }),
        authorization_header: z.string().optional().openapi({ description: 'Push: sent as Authorization with every SET (stored sealed).' }),
      })
      .optional()
      .openapi({ description: 'Absent: poll (RFC 8936) at the URL the answer gives.' }),
    events_requested: z.array(z.string()).optional().openapi({ description: 'Event type URIs; absent: every supported one.' }),
    description: z.string().optional(),
    subject_format: z.enum(['iss_sub', 'email']).optional().openapi({ description: 'Cat House extension: how users are named in SETs (default iss_sub).' }),
  })
  .openapi('SsfStreamRequest');

export const StreamConfiguration = z
  .object({
    stream_id: z.string(),
    iss: z.string(),
    aud: z.string(),
    delivery: z.object({ method: z.string(), endpoint_url: z.string() }),
    events_supported: z.array(z.string()),
    events_requested: z.array(z.string()),
    events_delivered: z.array(z.string()),
    description: z.string().optional(),
    min_verification_interval: z.number().int(),
    subject_format: z.string(),
  })
  .openapi('SsfStreamConfiguration');

export const StreamIdQuery = z.object({ stream_id: z.string().optional() });
export const StreamStatus = z.object({ stream_id: z.string(), status: z.enum(['enabled', 'paused', 'disabled']), reason: z.string().optional() }).openapi('SsfStreamStatus');
export const StreamStatusRequest = z.object({ stream_id: z.string(), status: z.enum(['enabled', 'paused', 'disabled']), reason: z.string().max(500).optional() }).openapi('SsfStreamStatusRequest');
export const SubjectRequest = z.object({ stream_id: z.string(), subject: subjectId, verified: z.boolean().optional() }).openapi('SsfSubjectRequest');
export const VerificationRequest = z.object({ stream_id: z.string(), state: z.string().max(1000).optional() }).openapi('SsfVerificationRequest');
export const PollRequest = z
  .object({
    ack: z.array(z.string()).optional().openapi({ description: 'jti of SETs processed: not returned again.' }),
    setErrs: z.record(z.string(), z.object({ err: z.string(), description: z.string().optional() })).optional().openapi({ description: 'SETs refused: kept as dead letters with the reason.' }),
    maxEvents: z.number().int().min(0).max(1000).optional(),
    returnImmediately: z.boolean().optional().openapi({ description: 'false (default): long poll up to SSF_POLL_MAX_WAIT_MS.' }),
  })
  .openapi('SsfPollRequest');
export const PollResponse = z.object({ sets: z.record(z.string(), z.string()), moreAvailable: z.boolean() }).openapi('SsfPollResponse');
export const StreamIdParams = z.object({ streamId: z.string() });
