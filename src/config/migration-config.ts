import { ConfigError } from './config-error';
import type { Config } from './config-type';
import { SERVICE_NAMES } from './config-type';
import { issueError, prepareEnv } from './env-checks';
import { envSchema } from './env-schema';
import { OIDC_VARIABLES, parseOidcSettings } from './oidc-settings';

/**
 * What `npm run migrate` and `npm run admin` read (issue 21): the migration job's environment.
 * They never sign a token or send mail, so the signing key, TOKEN_SECRET and SMTP_URL are not
 * asked for, and a runtime that holds only the pooled DATABASE_URL never needs the owner's URL.
 */
export interface MigrationConfig {
  readonly env: Config['env'];
  readonly db: Config['db'];
  readonly embedded: Config['embedded'];
  readonly migrations: Config['migrations'];
  readonly roles: Config['roles'];
  /** `admin clients rotate`'s default grace. */
  readonly tokens: Pick<Config['tokens'], 'clientSecretRotationGraceSeconds'>;
  /** `rehearse --neon`: the Neon project and API key (both unset: the option is refused, naming them). */
  readonly neon?: { readonly apiKey?: string; readonly projectId?: string; readonly parentBranchId?: string; readonly apiUrl: string };
  /** `admin oidc ...` registers the OpenID provider's clients and prints its endpoints (issue 27). */
  readonly oidc: Config['oidc'];
}

/** The variables of the migration job; nothing else in the environment is read or validated. */
export const MIGRATION_VARIABLES = [
  'NODE_ENV',
  'MIGRATION_DATABASE_URL',
  // `admin` falls back to it when MIGRATION_DATABASE_URL is unset (a development set-up).
  'DATABASE_URL',
  'DB_POOL_MAX',
  'DB_CONNECT_TIMEOUT_MS',
  'DB_IDLE_TIMEOUT_MS',
  'DB_QUERY_TIMEOUT_MS',
  'DATA_DIR',
  'EMBEDDED_PG_PORT',
  'MIGRATION_LOCK_TIMEOUT_MS',
  'MIGRATION_DDL_LOCK_TIMEOUT_MS',
  'MIGRATION_STATEMENT_TIMEOUT_MS',
  'DB_ROLE_AUTH',
  'DB_ROLE_CATALOG',
  'DB_ROLE_INSTALLATION',
  'DB_ROLE_PROXY',
  'DB_ROLE_AUTH_PASSWORD',
  'DB_ROLE_CATALOG_PASSWORD',
  'DB_ROLE_INSTALLATION_PASSWORD',
  'DB_ROLE_PROXY_PASSWORD',
  'MIGRATION_CREATE_ROLES',
  'CLIENT_SECRET_ROTATION_GRACE_SECONDS',
  'NEON_API_KEY',
  'NEON_PROJECT_ID',
  'NEON_PARENT_BRANCH_ID',
  'NEON_API_URL',
  ...OIDC_VARIABLES,
] as const;

const migrationSchema = envSchema.pick(Object.fromEntries(MIGRATION_VARIABLES.map((name) => [name, true])) as { [K in (typeof MIGRATION_VARIABLES)[number]]: true });

/** Parses the migration job's variables into a frozen MigrationConfig; throws ConfigError naming the first bad one. */
export function parseMigrationConfig(raw: NodeJS.ProcessEnv): MigrationConfig {
  const env = prepareEnv(raw, MIGRATION_VARIABLES);
  const result = migrationSchema.safeParse(env);
  if (!result.success) throw issueError(result.error, env);
  const e = result.data;
  if (e.NODE_ENV === 'production' && !e.MIGRATION_DATABASE_URL) {
    throw new ConfigError(
      'MIGRATION_DATABASE_URL',
      'MIGRATION_DATABASE_URL: required when NODE_ENV=production (the direct endpoint, as the schema owner, e.g. postgres://owner:password@db.example.com:5432/cathouse); the embedded database is for development only',
    );
  }
  const config: MigrationConfig = {
    env: e.NODE_ENV,
    db: {
      url: e.DATABASE_URL,
      migrationUrl: e.MIGRATION_DATABASE_URL,
      poolMax: e.DB_POOL_MAX,
      connectTimeoutMs: e.DB_CONNECT_TIMEOUT_MS,
      idleTimeoutMs: e.DB_IDLE_TIMEOUT_MS,
      queryTimeoutMs: e.DB_QUERY_TIMEOUT_MS,
    },
    embedded: { dataDir: e.DATA_DIR, port: e.EMBEDDED_PG_PORT },
    migrations: {
      lockTimeoutMs: e.MIGRATION_LOCK_TIMEOUT_MS,
      ddlLockTimeoutMs: e.MIGRATION_DDL_LOCK_TIMEOUT_MS,
      statementTimeoutMs: e.MIGRATION_STATEMENT_TIMEOUT_MS,
    },
    roles: {
      services: {
        auth: { name: e.DB_ROLE_AUTH, password: e.DB_ROLE_AUTH_PASSWORD },
        catalog: { name: e.DB_ROLE_CATALOG, password: e.DB_ROLE_CATALOG_PASSWORD },
        installation: { name: e.DB_ROLE_INSTALLATION, password: e.DB_ROLE_INSTALLATION_PASSWORD },
        proxy: { name: e.DB_ROLE_PROXY, password: e.DB_ROLE_PROXY_PASSWORD },
      },
      create: e.MIGRATION_CREATE_ROLES,
    },
    tokens: { clientSecretRotationGraceSeconds: e.CLIENT_SECRET_ROTATION_GRACE_SECONDS },
    neon: { apiKey: e.NEON_API_KEY, projectId: e.NEON_PROJECT_ID, parentBranchId: e.NEON_PARENT_BRANCH_ID, apiUrl: e.NEON_API_URL },
    // Only `admin oidc` needs the issuer to be right: it checks production's rule itself, so the
    // other commands run without OIDC_ISSUER. PORT is not the job's: the default names port 3000.
    oidc: parseOidcSettings(e, 3000, { checkProduction: false }),
  };
  if (new Set(SERVICE_NAMES.map((s) => config.roles.services[s].name)).size !== SERVICE_NAMES.length) {
    throw new ConfigError('DB_ROLE_AUTH', 'DB_ROLE_AUTH, DB_ROLE_CATALOG, DB_ROLE_INSTALLATION, DB_ROLE_PROXY: each service needs a role of its own (two have the same name)');
  }
  return Object.freeze({ ...config, db: Object.freeze(config.db), embedded: Object.freeze(config.embedded), migrations: Object.freeze(config.migrations), tokens: Object.freeze(config.tokens), neon: Object.freeze(config.neon) });
}
