import type { Config } from './config-type';
import { issueError, prepareEnv } from './env-checks';
import { envSchema } from './env-schema';
import { parseAllowedNetworks } from './events-settings';

/**
 * What `npm run admin -- webhooks create|rotate` read beyond the migration job's environment: the
 * service's token secrets, since a webhook's secret is stored sealed with TOKEN_SECRET, and the
 * receiver URL policy. Nothing else of the running service (issue 21: each command validates only
 * what it uses): parsing its whole configuration asked the operator for the signing key, then
 * DATABASE_URL, then SMTP_URL, one run at a time.
 */
export const WEBHOOK_ADMIN_VARIABLES = [
  'NODE_ENV',
  'TOKEN_SECRET',
  'TOKEN_PREVIOUS_SECRETS',
  'TOKEN_NEXT_SECRET',
  'EVENTS_ALLOWED_NETWORKS',
  'EVENTS_SECRET_ROTATION_GRACE_SECONDS',
] as const;

export interface WebhookAdminConfig {
  readonly tokenSecrets: Pick<Config['auth'], 'tokenSecret' | 'previousTokenSecrets' | 'nextTokenSecret'>;
  readonly events: Pick<Config['events'], 'allowedNetworks' | 'requireHttps' | 'secretRotationGraceSeconds'>;
}

const webhookAdminSchema = envSchema.pick(Object.fromEntries(WEBHOOK_ADMIN_VARIABLES.map((name) => [name, true])) as { [K in (typeof WEBHOOK_ADMIN_VARIABLES)[number]]: true });

/** Parses the webhook commands' variables (TOKEN_SECRET_FILE and the other _FILE forms too); throws ConfigError naming the first bad one. */
export function parseWebhookAdminConfig(raw: NodeJS.ProcessEnv): WebhookAdminConfig {
  const env = prepareEnv(raw, WEBHOOK_ADMIN_VARIABLES);
  const result = webhookAdminSchema.safeParse(env);
  if (!result.success) throw issueError(result.error, env);
  const e = result.data;
  return Object.freeze({
    tokenSecrets: Object.freeze({ tokenSecret: e.TOKEN_SECRET, previousTokenSecrets: Object.freeze(e.TOKEN_PREVIOUS_SECRETS ?? []), nextTokenSecret: e.TOKEN_NEXT_SECRET }),
    events: Object.freeze({
      allowedNetworks: parseAllowedNetworks(e.EVENTS_ALLOWED_NETWORKS),
      requireHttps: e.NODE_ENV === 'production',
      secretRotationGraceSeconds: e.EVENTS_SECRET_ROTATION_GRACE_SECONDS,
    }),
  });
}
