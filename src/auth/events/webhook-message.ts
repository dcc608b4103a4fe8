/** The body and id of a webhook (Standard Webhooks payload structure: type, timestamp, data). */

export interface EventRow {
  event_id: string;
  type: string;
  occurred_at: Date;
  user_id: string | null;
  subject_key: string;
  data: Record<string, unknown>;
}

/** `webhook-id`: the same for every try and every replay of one event, so receivers can drop duplicates. */
export function webhookId(eventId: string): string {
  return `evt_${eventId}`;
}

/** The JSON body: `{type, timestamp, data}` with the subject's id in data (user_id or client_id). */
export function webhookBody(event: EventRow): string {
  const subject = event.user_id ? { user_id: event.user_id } : event.subject_key.startsWith('client:') ? { client_id: event.subject_key.slice('client:'.length) } : {};
  return JSON.stringify({
    type: event.type,
    timestamp: event.occurred_at.toISOString(),
    data: { event_id: String(event.event_id), ...subject, ...event.data },
  });
}
