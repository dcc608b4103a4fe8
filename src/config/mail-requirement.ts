import { ConfigError } from './config-error';
import type { Config } from './config-type';

/**
 * Issue 22 M2: the service needs SMTP_URL whenever DATABASE_URL is set, in every NODE_ENV, as it
 * needs its keys (auth-keys.ts). Without it mail goes to .eml files, which is for the embedded
 * development database only: with a real database and NODE_ENV unset, links (tokens included)
 * were written to the log instead of being sent. Checked when the service starts (not for the
 * migration CLI, which sends no mail). Throws ConfigError.
 */
export function assertMailDeliveryConfigured(config: Config): void {
  if (config.db.url !== undefined && config.mail.smtpUrl === undefined) {
    throw new ConfigError(
      'SMTP_URL',
      'SMTP_URL: required when DATABASE_URL is set (e.g. smtps://user:password@smtp.example.com:465); mail goes to .eml files only with the embedded development database',
    );
  }
}
