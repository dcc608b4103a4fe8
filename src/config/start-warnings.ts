import type { Config } from './config-type';
import { sslModeOf } from './ssl-mode';

/** A setting the service runs with but an operator most likely did not mean: one line, the variable, the fix. */
export interface ConfigWarning {
  readonly variable: string;
  readonly message: string;
}

const LOCAL_HOST = /^(localhost|127\.\d+\.\d+\.\d+|\[::1\]|0\.0\.0\.0)$/i;

/**
 * The silent papercuts of issue 21, item 5: settings that start fine and hurt later. main.ts logs
 * each at warn on start. `raw` is the environment as given (before sslmode was rewritten).
 */
export function configWarnings(config: Config, raw: NodeJS.ProcessEnv): ConfigWarning[] {
  const warnings: ConfigWarning[] = [];
  const production = config.env === 'production';
  const url = config.db.url ? safeUrl(config.db.url) : undefined;

  if (url && /\.neon\.tech$/i.test(url.hostname) && !url.hostname.split('.')[0]!.endsWith('-pooler')) {
    warnings.push({
      variable: 'DATABASE_URL',
      message: `DATABASE_URL: ${url.hostname} is Neon's direct endpoint; the runtime should use the pooled one (add -pooler to the endpoint id: ${url.hostname.replace(/^([^.]+)/, '$1-pooler')}), and keep the direct one for MIGRATION_DATABASE_URL`,
    });
  }
  const given = raw.DATABASE_URL ? sslModeOf(raw.DATABASE_URL) : undefined;
  if (given && ['prefer', 'require', 'verify-ca'].includes(given.mode) && !given.libpqCompat) {
    warnings.push({
      variable: 'DATABASE_URL',
      message: `DATABASE_URL: sslmode=${given.mode} is checked as verify-full by node-postgres (the certificate chain and the host name are verified); write sslmode=verify-full to say so, and add sslrootcert=/path/to/ca.pem for a private CA`,
    });
  }
  if (given?.channelBinding === 'require') {
    warnings.push({
      variable: 'DATABASE_URL',
      message: 'DATABASE_URL: channel_binding=require is not enforced by node-postgres (it uses SCRAM-SHA-256-PLUS when the server offers it); the TLS host-name check of sslmode=verify-full is what protects the connection',
    });
  }
  if (production && config.db.migrationUrl) {
    warnings.push({
      variable: 'MIGRATION_DATABASE_URL',
      message: "MIGRATION_DATABASE_URL is set in the service's environment, which never uses it: keep the schema owner's URL in the migration job's environment only (.env.example, two environments)",
    });
  }
  if (production) {
    const app = safeUrl(config.mail.appUrl);
    if (app && LOCAL_HOST.test(app.hostname)) {
      warnings.push({ variable: 'APP_URL', message: `APP_URL: ${config.mail.appUrl} is on this machine: every link in verification and reset mail points there; set the frontend's public origin, e.g. https://app.example.com` });
    }
    if (/@(localhost|127\.0\.0\.1)\b/i.test(config.mail.from)) {
      warnings.push({ variable: 'MAIL_FROM', message: `MAIL_FROM: ${config.mail.from} is not a deliverable sender; set an address of your mail domain, e.g. Cat House <no-reply@example.com>` });
    }
  }
  return warnings;
}

function safeUrl(value: string): URL | undefined {
  try {
    return new URL(value);
  } catch {
    return undefined;
  }
}
