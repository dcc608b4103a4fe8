/**
 * The one place that reads `process.env`. Everything else receives a `Config`
 * (or a slice of it) as a parameter, so tests build apps with their own config.
 * The pieces are siblings: env-schema.ts (the variables), config-type.ts (the typed Config),
 * parse-config.ts (validation and mapping), config-error.ts; importers keep this one address.
 */
import type { Config } from './config-type';
import { envSchema } from './env-schema';
import { parseConfig } from './parse-config';
import { parseMigrationConfig, type MigrationConfig } from './migration-config';
import { FILE_SECRET_VARIABLES } from './secret-files';

export { ConfigError } from './config-error';
export { SERVICE_NAMES, type Config, type ServiceName } from './config-type';
export { parseConfig } from './parse-config';
export { parseMigrationConfig, MIGRATION_VARIABLES, type MigrationConfig } from './migration-config';
export { parseWebhookAdminConfig, WEBHOOK_ADMIN_VARIABLES, type WebhookAdminConfig } from './webhook-admin-config';

/**
 * Loads `.env` (without overriding variables already set) and parses the result.
 * Entry points call this once; libraries take a Config.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  loadDotenv();
  return parseConfig(env);
}

/** The server's configuration (`npm start`): what loadConfig returns, under the name that says whose it is. */
export const loadRuntimeConfig = loadConfig;

/**
 * The migration job's configuration (`npm run migrate`, `npm run admin`, the TypeORM CLI): only
 * the variables those commands use (MIGRATION_VARIABLES); never the signing key, TOKEN_SECRET or SMTP.
 */
export function loadMigrationConfig(env: NodeJS.ProcessEnv = process.env): MigrationConfig {
  loadDotenv();
  return parseMigrationConfig(env);
}

function loadDotenv(): void {
  // dotenv is required lazily so that tests that build configs by hand never read a developer's .env.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  require('dotenv').config({ quiet: true });
}

/** Every variable the service reads, for documentation checks (.env.example, docker-compose.yml). */
export const CONFIG_VARIABLES: readonly string[] = Object.freeze([...Object.keys(envSchema.shape), ...FILE_SECRET_VARIABLES]);
