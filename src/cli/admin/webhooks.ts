import { sealingKeys } from '../../auth/events/secrets';
import { listDeliveries } from '../../auth/events/outbox';
import {
  createWebhook,
  deleteWebhook,
  getWebhook,
  listWebhooks,
  replayWebhook,
  rotateWebhookSecret,
  setWebhookStatus,
  type IssuedWebhookSecret,
  type WebhookDeps,
  type WebhookView,
} from '../../auth/events/webhooks';
import { loadTokenSecrets } from '../../auth/tokens/token-secret';
import { EXIT, UsageError, type CommandContext, type CommandGroup } from './command';

const USAGE = `  webhooks create URL --events "a b"    a webhook for these event types (docs/events.md); prints its whsec_ secret once
  webhooks list                         every webhook, its events and state
  webhooks rotate ID [--grace-seconds N] a new secret; the old one signs beside it N more seconds
  webhooks pause|enable|disable ID      paused keeps events for later; disabled keeps none
  webhooks replay ID --from T --to T    sends the events of [from, to) again (RFC 3339 times)
  webhooks deliveries ID [--dead]       the latest deliveries (the dead letters with --dead)
  webhooks delete ID
  create and rotate need the service's TOKEN_SECRET (the secret is stored sealed with it)`;

/**
 * What sealing a secret needs: the service's TOKEN_SECRET and the receiver URL policy
 * (EVENTS_ALLOWED_NETWORKS). The embedded development database's secret is the one `npm start`
 * keeps in DATA_DIR; with a database URL, TOKEN_SECRET must be given.
 */
async function sealingDeps(ctx: CommandContext): Promise<WebhookDeps> {
  const config = ctx.webhookConfig();
  const embedded = (ctx.config.db.migrationUrl ?? ctx.config.db.url) === undefined;
  const secrets = await loadTokenSecrets(config.tokenSecrets, ctx.config.embedded.dataDir, { generate: embedded });
  return { policy: config.events, sealing: sealingKeys(secrets.current, secrets.previous) };
}

function line(w: WebhookView): string {
  return [w.id, w.status, w.url, `events=${w.event_types.join(',')}`, ...(w.previous_secret_expires_at ? [`previous_secret_until=${w.previous_secret_expires_at}`] : [])].join('  ');
}

function secretText(issued: IssuedWebhookSecret, verb: string): string {
  return [`${verb} webhook ${line(issued.webhook)}`, `secret: ${issued.secret}`, 'Store it now: it is not shown again.'].join('\n');
}

function time(value: unknown, name: string): Date {
  const date = typeof value === 'string' ? new Date(value) : undefined;
  if (!date || Number.isNaN(date.getTime())) throw new UsageError(`--${name} takes an RFC 3339 time, e.g. 2026-01-31T12:00:00Z`);
  return date;
}

/** `npm run admin -- webhooks ...`: webhook subscriptions (issue 29), the same functions as the admin API. */
export const webhooksGroup: CommandGroup = {
  name: 'webhooks',
  usage: USAGE,
  options: { events: { type: 'string' }, 'grace-seconds': { type: 'string' }, from: { type: 'string' }, to: { type: 'string' }, dead: { type: 'boolean' }, description: { type: 'string' } },
  async run(command, ctx) {
    const one = () => {
      if (ctx.args.length !== 1) throw new UsageError(`webhooks ${command} takes one ${command === 'create' ? 'URL' : 'ID'}`);
      return ctx.args[0]!;
    };
    switch (command) {
      case 'create': {
        const url = one();
        if (typeof ctx.options.events !== 'string') throw new UsageError('webhooks create needs --events "session.revoked user.deleted ..."');
        const eventTypes = ctx.options.events.split(/[\s,]+/).filter(Boolean);
        const issued = await createWebhook(await ctx.db(), await sealingDeps(ctx), { url, eventTypes, description: ctx.options.description as string | undefined });
        ctx.print({ ...issued.webhook, secret: issued.secret }, secretText(issued, 'created'));
        return EXIT.ok;
      }
      case 'list': {
        if (ctx.args.length > 0) throw new UsageError('webhooks list takes no arguments');
        const webhooks = await listWebhooks(await ctx.db());
        ctx.print(webhooks, webhooks.length === 0 ? 'no webhooks (npm run admin -- webhooks create URL --events "...")' : webhooks.map(line).join('\n'));
        return EXIT.ok;
      }
      case 'rotate': {
        const id = one();
        const raw = ctx.options['grace-seconds'];
        const deps = await sealingDeps(ctx);
        const grace = raw === undefined ? ctx.webhookConfig().events.secretRotationGraceSeconds : Number(raw);
        if (!Number.isInteger(grace) || grace < 0 || grace > 2_592_000) throw new UsageError('--grace-seconds takes a whole number from 0 to 2592000');
        const issued = await rotateWebhookSecret(await ctx.db(), deps, id, grace);
        ctx.print({ ...issued.webhook, secret: issued.secret }, secretText(issued, 'rotated'));
        return EXIT.ok;
      }
      case 'pause':
      case 'enable':
      case 'disable': {
        const status = command === 'pause' ? 'paused' : command === 'enable' ? 'enabled' : 'disabled';
        const webhook = await setWebhookStatus(await ctx.db(), one(), status);
        ctx.print(webhook, `${status} ${line(webhook)}`);
        return EXIT.ok;
      }
      case 'replay': {
        const id = one();
        const replayed = await replayWebhook(await ctx.db(), id, time(ctx.options.from, 'from'), time(ctx.options.to, 'to'));
        ctx.print({ replayed }, `${replayed} event(s) will be delivered again to ${id}`);
        return EXIT.ok;
      }
      case 'deliveries': {
        const id = one();
        const db = await ctx.db();
        await getWebhook(db, id);
        const rows = await listDeliveries(db, id, { status: ctx.options.dead === true ? 'dead' : undefined });
        ctx.print(rows, rows.length === 0 ? 'no deliveries' : rows.map((d) => [d.event_id, d.type, d.status, `tries=${d.attempts}`, d.last_error ?? ''].join('  ')).join('\n'));
        return EXIT.ok;
      }
      case 'delete': {
        const id = one();
        await deleteWebhook(await ctx.db(), id);
        ctx.print({ id, deleted: true }, `deleted webhook ${id}`);
        return EXIT.ok;
      }
      default:
        throw new UsageError(command === undefined ? 'webhooks needs a command: create, list, rotate, pause, enable, disable, replay, deliveries or delete' : `unknown command "webhooks ${command}"`);
    }
  },
};
