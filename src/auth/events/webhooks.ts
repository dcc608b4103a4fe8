import type { DataSource } from 'typeorm';
import type { SubscriptionStatus } from '../../db/entities/index';
import { AppError } from '../../errors/app-error';
import { isUuid } from '../ids';
import { sql } from '../sql';
import { isSecurityEventType, SECURITY_EVENT_TYPES, type SecurityEventType } from './catalogue';
import { replayDeliveries } from './outbox';
import { assertReceiverUrl, type ReceiverUrlPolicy } from './receiver-urls';
import { newWebhookSecret, seal, type SealingKeys } from './secrets';

/**
 * Webhook subscriptions (issue 29): an admin's URL that receives the chosen security events,
 * signed the Standard Webhooks way. Managed by the admin API (routes/webhooks.ts) and
 * `npm run admin -- webhooks` alike; both call these. A secret is shown once, when it is made.
 */

export interface WebhookDeps {
  policy: ReceiverUrlPolicy;
  sealing: SealingKeys;
}

export interface WebhookView {
  id: string;
  url: string;
  event_types: SecurityEventType[];
  status: SubscriptionStatus;
  description: string | null;
  created_at: string;
  updated_at: string;
  /** While a rotated-out secret still signs (both signatures are sent). */
  previous_secret_expires_at: string | null;
}

export interface IssuedWebhookSecret {
  webhook: WebhookView;
  /** `whsec_…`: shown once. */
  secret: string;
}

interface Row {
  id: string;
  endpoint_url: string;
  event_types: SecurityEventType[];
  status: SubscriptionStatus;
  description: string | null;
  created_at: Date;
  updated_at: Date;
  previous_secret_expires_at: Date | null;
}

const COLUMNS = `id, endpoint_url, event_types, status, description, created_at, updated_at,
  CASE WHEN previous_secret_expires_at > statement_timestamp() THEN previous_secret_expires_at END AS previous_secret_expires_at`;

const view = (r: Row): WebhookView => ({
  id: r.id,
  url: r.endpoint_url,
  event_types: r.event_types,
  status: r.status,
  description: r.description,
  created_at: r.created_at.toISOString(),
  updated_at: r.updated_at.toISOString(),
  previous_secret_expires_at: r.previous_secret_expires_at?.toISOString() ?? null,
});

const notFound = () => new AppError('not_found', 'No webhook with this id (GET admin/webhooks lists them).');

/** Checks a list of event types: known names, at least one, no duplicates kept. */
export function parseEventTypes(types: readonly string[]): SecurityEventType[] {
  const unknown = types.filter((t) => !isSecurityEventType(t));
  if (unknown.length > 0 || types.length === 0) {
    throw new AppError('invalid_request', `The request body is invalid: event_types: ${types.length === 0 ? 'at least one is needed' : `unknown: ${unknown.join(', ')}`} (known: ${SECURITY_EVENT_TYPES.join(', ')}).`, {
      fields: { invalid_params: [{ name: 'event_types', reason: types.length === 0 ? 'at least one is needed' : `unknown event type ${unknown[0]}` }] },
    });
  }
  return [...new Set(types)] as SecurityEventType[];
}

/** Creates a webhook with a new secret (returned once). Throws invalid_request for a refused URL or unknown types. */
export async function createWebhook(db: DataSource, deps: WebhookDeps, input: { url: string; eventTypes: readonly string[]; description?: string | null | undefined }): Promise<IssuedWebhookSecret> {
  const url = await assertReceiverUrl(deps.policy, input.url);
  const types = parseEventTypes(input.eventTypes);
  const secret = newWebhookSecret();
  const { rows } = await sql<Row>(
    db,
    `INSERT INTO auth.event_subscriptions (kind, delivery_method, endpoint_url, event_types, description, secret)
     VALUES ('webhook', 'push', $1, $2, $3, $4) RETURNING ${COLUMNS}`,
    [url.href, types, input.description ?? null, seal(deps.sealing, secret)],
  );
  return { webhook: view(rows[0]!), secret };
}

export async function listWebhooks(db: DataSource): Promise<WebhookView[]> {
  const { rows } = await sql<Row>(db, `SELECT ${COLUMNS} FROM auth.event_subscriptions WHERE kind = 'webhook' ORDER BY created_at, id`);
  return rows.map(view);
}

export async function getWebhook(db: DataSource, id: string): Promise<WebhookView> {
  if (!isUuid(id)) throw notFound();
  const { rows } = await sql<Row>(db, `SELECT ${COLUMNS} FROM auth.event_subscriptions WHERE id = $1 AND kind = 'webhook'`, [id]);
  if (!rows[0]) throw notFound();
  return view(rows[0]);
}

export interface WebhookChanges {
  url?: string | undefined;
  eventTypes?: readonly string[] | undefined;
  description?: string | null | undefined;
  /** enabled, paused (events are kept and sent when enabled again) or disabled (events are not kept). */
  status?: SubscriptionStatus | undefined;
}

/** Changes a webhook; what is not given stays. */
export async function updateWebhook(db: DataSource, deps: WebhookDeps, id: string, changes: WebhookChanges): Promise<WebhookView> {
  await getWebhook(db, id);
  const url = changes.url === undefined ? null : (await assertReceiverUrl(deps.policy, changes.url)).href;
  const types = changes.eventTypes === undefined ? null : parseEventTypes(changes.eventTypes);
  const { rows } = await sql<Row>(
    db,
    `UPDATE auth.event_subscriptions
        SET endpoint_url = COALESCE($2, endpoint_url), event_types = COALESCE($3, event_types),
            description = CASE WHEN $4 THEN $5 ELSE description END, status = COALESCE($6, status), updated_at = statement_timestamp()
      WHERE id = $1 AND kind = 'webhook' RETURNING ${COLUMNS}`,
    [id, url, types, changes.description !== undefined, changes.description ?? null, changes.status ?? null],
  );
  if (!rows[0]) throw notFound();
  return view(rows[0]);
}

/** enabled, paused or disabled (the CLI's pause/enable/disable): no URL is checked, nothing is sealed. */
export async function setWebhookStatus(db: DataSource, id: string, status: SubscriptionStatus): Promise<WebhookView> {
  if (!isUuid(id)) throw notFound();
  const { rows } = await sql<Row>(db, `UPDATE auth.event_subscriptions SET status = $2, updated_at = statement_timestamp() WHERE id = $1 AND kind = 'webhook' RETURNING ${COLUMNS}`, [id, status]);
  if (!rows[0]) throw notFound();
  return view(rows[0]);
}

/**
 * A new signing secret; the current one keeps signing beside it for `graceSeconds` (0: at once
 * replaced), so a receiver can switch without refusing a message. A secret still in its grace
 * period is replaced: at most two ever sign.
 */
export async function rotateWebhookSecret(db: DataSource, deps: WebhookDeps, id: string, graceSeconds: number): Promise<IssuedWebhookSecret> {
  if (!isUuid(id)) throw notFound();
  const secret = newWebhookSecret();
  const { rows } = await sql<Row>(
    db,
    `UPDATE auth.event_subscriptions
        SET previous_secret = CASE WHEN $3::int > 0 THEN secret END,
            previous_secret_expires_at = CASE WHEN $3::int > 0 THEN statement_timestamp() + make_interval(secs => $3::int) END,
            secret = $2, updated_at = statement_timestamp()
      WHERE id = $1 AND kind = 'webhook' RETURNING ${COLUMNS}`,
    [id, seal(deps.sealing, secret), graceSeconds],
  );
  if (!rows[0]) throw notFound();
  return { webhook: view(rows[0]), secret };
}

/** Deletes a webhook and its pending deliveries. */
export async function deleteWebhook(db: DataSource, id: string): Promise<void> {
  if (!isUuid(id)) throw notFound();
  const { count } = await sql(db, `DELETE FROM auth.event_subscriptions WHERE id = $1 AND kind = 'webhook'`, [id]);
  if (count === 0) throw notFound();
}

/** Sends again every event of [from, to) the webhook subscribes to (see replayDeliveries); returns how many. */
export async function replayWebhook(db: DataSource, id: string, from: Date, to: Date): Promise<number> {
  await getWebhook(db, id);
  if (!(from < to)) {
    throw new AppError('invalid_request', 'The request body is invalid: from must be before to.', { fields: { invalid_params: [{ name: 'from', reason: 'must be before to' }] } });
  }
  return replayDeliveries(db, id, from, to);
}
