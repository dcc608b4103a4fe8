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
