import { z } from 'zod';

/**
 * The one place that reads `process.env`. Everything else receives a `Config`
 * (or a slice of it) as a parameter, so tests build apps with their own config.
 */

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'], { message: 'expected true or false' })
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

const int = (min: number, max: number) =>
  z.coerce
    .number({ message: 'expected a whole number' })
    .int({ message: 'expected a whole number' })
    .min(min, { message: `expected a whole number >= ${min}` })
    .max(max, { message: `expected a whole number <= ${max}` });

const postgresUrl = z.string().refine(
  (value) => {
    try {
      const url = new URL(value);
      return (url.protocol === 'postgres:' || url.protocol === 'postgresql:') && url.hostname !== '';
    } catch {
      return false;
    }
  },
  { message: 'expected a URL like postgres://user:password@host:5432/database' },
);

const csv = z
  .string()
  .transform((v) =>
    v
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s.length > 0),
  );

const origin = z.string().refine(
  (v) => {
    try {
      const url = new URL(v);
      return url.origin === v;
    } catch {
      return false;
    }
  },
  { message: 'expected origins like https://app.example.com (scheme, host and port only)' },
);

/** A PostgreSQL role name that needs no quoting (what the policy's GRANTs name). */
const roleName = z.string().regex(/^[a-z_][a-z0-9_]{0,62}$/, { message: 'expected a role name of lower-case letters, digits and _ (at most 63)' });

/** Empty strings in `.env` mean "not set", as in most dotenv setups. */
const optional = <T extends z.ZodTypeAny>(schema: T) =>
  z.preprocess((v) => (v === '' ? undefined : v), schema.optional());

const envSchema = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  HOST: z.string().min(1).default('0.0.0.0'),
  PORT: int(0, 65535).default(3000),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  TRUST_PROXY: optional(z.string()),
  JSON_BODY_LIMIT: z
    .string()
    .regex(/^\d+(b|kb|mb)$/i, { message: 'expected a size like 16kb' })
    .default('16kb'),
  SHUTDOWN_TIMEOUT_MS: int(0, 600_000).default(10_000),

  DATABASE_URL: optional(postgresUrl),
  MIGRATION_DATABASE_URL: optional(postgresUrl),
  DB_POOL_MAX: int(1, 1000).default(10),
  DB_CONNECT_TIMEOUT_MS: int(100, 600_000).default(5_000),
  DB_IDLE_TIMEOUT_MS: int(0, 3_600_000).default(10_000),
  DB_QUERY_TIMEOUT_MS: int(100, 600_000).default(10_000),
  DATA_DIR: z.string().min(1).default('.data'),
  EMBEDDED_PG_PORT: int(1, 65535).default(54329),

  JWT_ISSUER: z.string().min(1).default('cathouse-auth'),
  JWT_AUDIENCE: z.string().min(1).default('cathouse'),
  JWT_PRIVATE_KEY: optional(z.string().min(1)),
  JWT_PRIVATE_KEY_FILE: optional(z.string().min(1)),
  JWT_PREVIOUS_PUBLIC_KEYS: optional(z.string().min(1)),
  JWT_PREVIOUS_PUBLIC_KEYS_FILE: optional(z.string().min(1)),
  ACCESS_TOKEN_TTL_SECONDS: int(30, 86_400).default(900),
  REFRESH_TOKEN_TTL_SECONDS: int(60, 31_536_000).default(2_592_000),
  REFRESH_REUSE_INTERVAL_SECONDS: int(0, 300).default(10),
  TOKEN_SECRET: optional(z.string().min(32, { message: 'expected at least 32 characters' })),
  // Issue 15: refresh tokens made with an earlier TOKEN_SECRET stay valid (comma-separated).
  TOKEN_PREVIOUS_SECRETS: optional(csv.pipe(z.array(z.string().min(32, { message: 'expected at least 32 characters each' })))),
  BCRYPT_COST: optional(int(4, 15)),
  CORS_ORIGINS: optional(csv.pipe(z.array(origin))),
  REFRESH_TOKEN_COOKIE: bool.default(false),
  LOGIN_MAX_FAILURES_PER_ACCOUNT: int(1, 10_000).default(5),
  LOGIN_MAX_FAILURES_PER_IP: int(1, 100_000).default(50),
  LOGIN_THROTTLE_WINDOW_SECONDS: int(1, 86_400).default(900),

  // Abuse limits and session bounds (issue 9).
  CLIENT_IPV6_PREFIX: int(1, 128).default(64),
  LOGIN_ACCOUNT_BACKOFF_AFTER: int(1, 1_000_000).default(20),
  LOGIN_ACCOUNT_BACKOFF_SECONDS: int(1, 3_600).default(5),
  LOGIN_MAX_CHECKS_IN_FLIGHT: int(1, 10_000).default(32),
  REGISTER_MAX_PER_IP: int(1, 1_000_000).default(10),
  REGISTER_MAX_GLOBAL: int(1, 100_000_000).default(1_000),
  REGISTER_WINDOW_SECONDS: int(1, 86_400).default(3_600),
  REGISTER_MAX_HASHES_IN_FLIGHT: int(1, 1_000).default(2),
  SESSION_MAX_LIFETIME_SECONDS: int(60, 315_360_000).default(7_776_000),
  READY_TOKEN: optional(z.string().min(16, { message: 'expected at least 16 characters' })),

  // Audit log and metrics (issue 11).
  AUTH_EVENTS_RETENTION_DAYS: int(1, 36_500).default(90),
  METRICS_TOKEN: optional(z.string().min(16, { message: 'expected at least 16 characters' })),
  // Service and installation tokens (issue 12).
  SERVICE_TOKEN_TTL_SECONDS: int(30, 3_600).default(300),
  SERVICE_TOKEN_AUDIENCE: z.string().min(1).default('cathouse-services'),
  INSTALLATION_TOKEN_TTL_SECONDS: int(30, 900).default(300),
  CLIENT_SECRET_ROTATION_GRACE_SECONDS: int(0, 2_592_000).default(86_400),
  CLIENT_AUTH_MAX_FAILURES: int(1, 100_000).default(10),

  // Mail and the account lifecycle (issue 10).
  SMTP_URL: optional(z.string().regex(/^smtps?:\/\/./, { message: 'expected a URL like smtp://user:password@host:587 or smtps://host:465' })),
  MAIL_FROM: z.string().min(3).default('Cat House <no-reply@localhost>'),
  APP_URL: z.string().url({ message: 'expected the frontend origin (and base path), e.g. https://app.example.com' }).default('http://localhost:5173'),
  APP_VERIFY_EMAIL_PATH: z.string().startsWith('/', { message: 'expected a path starting with /' }).default('/verify-email'),
  APP_RESET_PASSWORD_PATH: z.string().startsWith('/', { message: 'expected a path starting with /' }).default('/reset-password'),
  MAIL_LINK_TOKEN_IN: z.enum(['fragment', 'query'], { message: 'expected fragment or query' }).default('fragment'),
  EMAIL_VERIFICATION_TTL_SECONDS: int(60, 2_592_000).default(86_400),
  PASSWORD_RESET_TTL_SECONDS: int(60, 86_400).default(1_800),
  MAIL_MAX_ATTEMPTS: int(1, 100).default(8),
  MAIL_RETRY_BASE_SECONDS: int(1, 3_600).default(10),
  MAIL_POLL_INTERVAL_MS: int(50, 600_000).default(2_000),
  MAIL_SEND_TIMEOUT_MS: int(100, 600_000).default(30_000),
  MAIL_MAX_PER_ADDRESS: int(1, 1_000_000).default(5),
  MAIL_MAX_PER_IP: int(1, 1_000_000).default(30),
  MAIL_LIMIT_WINDOW_SECONDS: int(1, 86_400).default(3_600),

  MIGRATION_LOCK_TIMEOUT_MS: int(0, 3_600_000).default(60_000),
  MIGRATION_DDL_LOCK_TIMEOUT_MS: int(0, 3_600_000).default(5_000),
  MIGRATION_STATEMENT_TIMEOUT_MS: int(0, 86_400_000).default(0),

  // Database roles, one per service: the privilege policy (src/db/privileges.ts) grants to these.
  DB_ROLE_AUTH: roleName.default('cathouse_auth'),
  DB_ROLE_CATALOG: roleName.default('cathouse_catalog'),
  DB_ROLE_INSTALLATION: roleName.default('cathouse_installation'),
  DB_ROLE_PROXY: roleName.default('cathouse_proxy'),
  DB_ROLE_AUTH_PASSWORD: optional(z.string().min(1)),
  DB_ROLE_CATALOG_PASSWORD: optional(z.string().min(1)),
  DB_ROLE_INSTALLATION_PASSWORD: optional(z.string().min(1)),
  DB_ROLE_PROXY_PASSWORD: optional(z.string().min(1)),
  MIGRATION_CREATE_ROLES: bool.default(false),
});

type Env = z.infer<typeof envSchema>;

export interface Config {
  readonly env: Env['NODE_ENV'];
  readonly http: {
    readonly host: string;
    readonly port: number;
    readonly trustProxy: string | undefined;
    /** Bearer token that unlocks /ready's schema detail for callers that are not internal. */
    readonly readyToken: string | undefined;
    readonly jsonBodyLimit: string;
    readonly shutdownTimeoutMs: number;
  };
  readonly log: { readonly level: Env['LOG_LEVEL'] };
  readonly db: {
    /** Pooled endpoint used at run time; undefined means "use the embedded server". */
    readonly url: string | undefined;
    /** Direct endpoint used by migrations; undefined means "use the embedded server". */
    readonly migrationUrl: string | undefined;
    readonly poolMax: number;
    readonly connectTimeoutMs: number;
    readonly idleTimeoutMs: number;
    readonly queryTimeoutMs: number;
  };
  readonly embedded: { readonly dataDir: string; readonly port: number };
  readonly auth: {
    readonly issuer: string;
    readonly audience: string;
    readonly privateKey: string | undefined;
    readonly privateKeyFile: string | undefined;
    readonly previousPublicKeys: string | undefined;
    readonly previousPublicKeysFile: string | undefined;
    readonly accessTokenTtlSeconds: number;
    readonly refreshTokenTtlSeconds: number;
    readonly refreshReuseIntervalSeconds: number;
    readonly tokenSecret: string | undefined;
    readonly previousTokenSecrets: readonly string[];
    readonly bcryptCost: number;
    readonly corsOrigins: readonly string[];
    readonly refreshTokenCookie: boolean;
    readonly loginMaxFailuresPerAccount: number;
    readonly loginMaxFailuresPerIp: number;
    readonly loginThrottleWindowSeconds: number;
    /** Account-wide failures in the window after which clients that have failed on it are paced. */
    readonly loginAccountBackoffAfter: number;
    readonly loginAccountBackoffSeconds: number;
    /** Client addresses are throttled by their IPv6 prefix of this length (IPv4 by address). */
    readonly clientIpv6Prefix: number;
    readonly loginMaxChecksInFlight: number;
    readonly registerMaxPerIp: number;
    readonly registerMaxGlobal: number;
    readonly registerWindowSeconds: number;
    readonly registerMaxHashesInFlight: number;
    /** Absolute session lifetime: no refresh extends a session past created_at + this. */
    readonly sessionMaxLifetimeSeconds: number;
  };
  /** Issue 11: the audit log's retention and the /metrics endpoint. */
  readonly audit: { readonly retentionDays: number };
  readonly metrics: {
    /** Bearer token that lets a scraper from anywhere read /metrics; without it only internal callers may. */
    readonly token: string | undefined;
  };
  /** Client credentials and token exchange (issue 12). */
  readonly tokens: {
    /** Lifetime of a client credentials access token; there is no refresh token. */
    readonly serviceTokenTtlSeconds: number;
    /** `aud` of service tokens: never the user audience, so a service token is no user token. */
    readonly serviceAudience: string;
    /** Upper bound on an installation token's lifetime: the revocation promise. */
    readonly installationTokenTtlSeconds: number;
    /** How long the previous secret of a rotated client stays valid. */
    readonly clientSecretRotationGraceSeconds: number;
    /** Wrong secrets allowed per client and client address within LOGIN_THROTTLE_WINDOW_SECONDS. */
    readonly clientAuthMaxFailures: number;
  };
  /** Mail delivery and the account lifecycle flows (issue 10). */
  readonly mail: {
    /** undefined: development writes .eml files to DATA_DIR/mail (production refuses to start). */
    readonly smtpUrl: string | undefined;
    readonly from: string;
    /** Where the links in mails point: APP_URL + the page's path, the token in the fragment or the query. */
    readonly appUrl: string;
    readonly verifyEmailPath: string;
    readonly resetPasswordPath: string;
    readonly linkTokenIn: 'fragment' | 'query';
    readonly emailVerificationTtlSeconds: number;
    readonly passwordResetTtlSeconds: number;
    /** A message is given up (status failed, logged at error) after this many tries. */
    readonly maxAttempts: number;
    /** Backoff after the n-th failed try: base * 2^(n-1) seconds, at most an hour. */
    readonly retryBaseSeconds: number;
    readonly pollIntervalMs: number;
    /** One SMTP send may take this long; a claim is held twice as long before another instance may retry. */
    readonly sendTimeoutMs: number;
    readonly maxPerAddress: number;
    readonly maxPerIp: number;
    readonly limitWindowSeconds: number;
  };
  readonly migrations: {
    readonly lockTimeoutMs: number;
    readonly ddlLockTimeoutMs: number;
    readonly statementTimeoutMs: number;
  };
  /** The login role of each service, and whether `migrate up` may create missing ones. */
  readonly roles: {
    readonly services: Readonly<Record<ServiceName, { readonly name: string; readonly password: string | undefined }>>;
    readonly create: boolean;
  };
}

/** The services that share the database, each with a role of its own. */
export const SERVICE_NAMES = ['auth', 'catalog', 'installation', 'proxy'] as const;
export type ServiceName = (typeof SERVICE_NAMES)[number];

/** A configuration problem, reported as one line that names the variable and the fix. */
export class ConfigError extends Error {
  readonly code = 'invalid_config';
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(message);
    this.name = 'ConfigError';
  }
}

/**
 * Parses and validates an environment (normally `process.env`) into a frozen Config.
 * Throws ConfigError naming the first bad variable.
 */
export function parseConfig(env: NodeJS.ProcessEnv): Config {
  const result = envSchema.safeParse(env);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    const variable = String(issue.path[0] ?? 'environment');
    const received = env[variable];
    const hint = received === undefined ? 'it is missing' : 'check its value';
    throw new ConfigError(variable, `${variable}: ${issue.message} (${hint}; see .env.example)`);
  }
  const e = result.data;
  if (e.JWT_PRIVATE_KEY && e.JWT_PRIVATE_KEY_FILE) {
    throw new ConfigError(
      'JWT_PRIVATE_KEY',
      'JWT_PRIVATE_KEY: set either JWT_PRIVATE_KEY or JWT_PRIVATE_KEY_FILE, not both',
    );
  }
  if (e.TRUST_PROXY !== undefined && /^\s*true\s*$/i.test(e.TRUST_PROXY)) {
    // Express's `true` takes the left-most X-Forwarded-For entry, which the client writes itself:
    // every per-address limit would then be the client's to choose.
    throw new ConfigError(
      'TRUST_PROXY',
      'TRUST_PROXY: "true" would let any client choose its own address through X-Forwarded-For; give the number of proxies in front of the service (e.g. 1) or their addresses (e.g. 10.0.0.0/8, loopback)',
    );
  }
  if (e.SERVICE_TOKEN_AUDIENCE === e.JWT_AUDIENCE || e.SERVICE_TOKEN_AUDIENCE.startsWith('cat:')) {
    // The audience is what keeps a service token from passing as a user's (or a cat's) token.
    throw new ConfigError('SERVICE_TOKEN_AUDIENCE', 'SERVICE_TOKEN_AUDIENCE: must differ from JWT_AUDIENCE and not start with "cat:" (audiences keep token kinds apart)');
  }
  if (e.NODE_ENV === 'production') {
    if (!e.JWT_PRIVATE_KEY && !e.JWT_PRIVATE_KEY_FILE) {
      throw new ConfigError(
        'JWT_PRIVATE_KEY',
        'JWT_PRIVATE_KEY: required when NODE_ENV=production (an ES256 PEM, or set JWT_PRIVATE_KEY_FILE to its path)',
      );
    }
    if (!e.TOKEN_SECRET) {
      throw new ConfigError(
        'TOKEN_SECRET',
        'TOKEN_SECRET: required when NODE_ENV=production (at least 32 random characters, e.g. `openssl rand -base64 48`)',
      );
    }
    if (!e.DATABASE_URL) {
      throw new ConfigError(
        'DATABASE_URL',
        'DATABASE_URL: required when NODE_ENV=production (the pooled endpoint); the embedded database is for development only',
      );
    }
    if (!e.SMTP_URL) {
      throw new ConfigError(
        'SMTP_URL',
        'SMTP_URL: required when NODE_ENV=production (e.g. smtps://user:password@smtp.example.com:465); without it no verification or reset mail would leave',
      );
    }
  }
  const config: Config = {
    env: e.NODE_ENV,
    http: {
      host: e.HOST,
      port: e.PORT,
      trustProxy: e.TRUST_PROXY,
      readyToken: e.READY_TOKEN,
      jsonBodyLimit: e.JSON_BODY_LIMIT,
      shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_MS,
    },
    log: { level: e.LOG_LEVEL },
    db: {
      url: e.DATABASE_URL,
      migrationUrl: e.MIGRATION_DATABASE_URL,
      poolMax: e.DB_POOL_MAX,
      connectTimeoutMs: e.DB_CONNECT_TIMEOUT_MS,
      idleTimeoutMs: e.DB_IDLE_TIMEOUT_MS,
      queryTimeoutMs: e.DB_QUERY_TIMEOUT_MS,
    },
    embedded: { dataDir: e.DATA_DIR, port: e.EMBEDDED_PG_PORT },
    auth: {
      issuer: e.JWT_ISSUER,
      audience: e.JWT_AUDIENCE,
      privateKey: e.JWT_PRIVATE_KEY,
      privateKeyFile: e.JWT_PRIVATE_KEY_FILE,
      previousPublicKeys: e.JWT_PREVIOUS_PUBLIC_KEYS,
      previousPublicKeysFile: e.JWT_PREVIOUS_PUBLIC_KEYS_FILE,
      accessTokenTtlSeconds: e.ACCESS_TOKEN_TTL_SECONDS,
      refreshTokenTtlSeconds: e.REFRESH_TOKEN_TTL_SECONDS,
      refreshReuseIntervalSeconds: e.REFRESH_REUSE_INTERVAL_SECONDS,
      tokenSecret: e.TOKEN_SECRET,
      previousTokenSecrets: Object.freeze(e.TOKEN_PREVIOUS_SECRETS ?? []),
      bcryptCost: e.BCRYPT_COST ?? (e.NODE_ENV === 'test' ? 4 : 12),
      corsOrigins: Object.freeze(e.CORS_ORIGINS ?? []),
      refreshTokenCookie: e.REFRESH_TOKEN_COOKIE,
      loginMaxFailuresPerAccount: e.LOGIN_MAX_FAILURES_PER_ACCOUNT,
      loginMaxFailuresPerIp: e.LOGIN_MAX_FAILURES_PER_IP,
      loginThrottleWindowSeconds: e.LOGIN_THROTTLE_WINDOW_SECONDS,
      loginAccountBackoffAfter: e.LOGIN_ACCOUNT_BACKOFF_AFTER,
      loginAccountBackoffSeconds: e.LOGIN_ACCOUNT_BACKOFF_SECONDS,
      clientIpv6Prefix: e.CLIENT_IPV6_PREFIX,
      loginMaxChecksInFlight: e.LOGIN_MAX_CHECKS_IN_FLIGHT,
      registerMaxPerIp: e.REGISTER_MAX_PER_IP,
      registerMaxGlobal: e.REGISTER_MAX_GLOBAL,
      registerWindowSeconds: e.REGISTER_WINDOW_SECONDS,
      registerMaxHashesInFlight: e.REGISTER_MAX_HASHES_IN_FLIGHT,
      sessionMaxLifetimeSeconds: e.SESSION_MAX_LIFETIME_SECONDS,
    },
    audit: { retentionDays: e.AUTH_EVENTS_RETENTION_DAYS },
    metrics: { token: e.METRICS_TOKEN },
    tokens: {
      serviceTokenTtlSeconds: e.SERVICE_TOKEN_TTL_SECONDS,
      serviceAudience: e.SERVICE_TOKEN_AUDIENCE,
      installationTokenTtlSeconds: e.INSTALLATION_TOKEN_TTL_SECONDS,
      clientSecretRotationGraceSeconds: e.CLIENT_SECRET_ROTATION_GRACE_SECONDS,
      clientAuthMaxFailures: e.CLIENT_AUTH_MAX_FAILURES,
    },
    mail: {
      smtpUrl: e.SMTP_URL,
      from: e.MAIL_FROM,
      appUrl: e.APP_URL.replace(/\/+$/, ''),
      verifyEmailPath: e.APP_VERIFY_EMAIL_PATH,
      resetPasswordPath: e.APP_RESET_PASSWORD_PATH,
      linkTokenIn: e.MAIL_LINK_TOKEN_IN,
      emailVerificationTtlSeconds: e.EMAIL_VERIFICATION_TTL_SECONDS,
      passwordResetTtlSeconds: e.PASSWORD_RESET_TTL_SECONDS,
      maxAttempts: e.MAIL_MAX_ATTEMPTS,
      retryBaseSeconds: e.MAIL_RETRY_BASE_SECONDS,
      pollIntervalMs: e.MAIL_POLL_INTERVAL_MS,
      sendTimeoutMs: e.MAIL_SEND_TIMEOUT_MS,
      maxPerAddress: e.MAIL_MAX_PER_ADDRESS,
      maxPerIp: e.MAIL_MAX_PER_IP,
      limitWindowSeconds: e.MAIL_LIMIT_WINDOW_SECONDS,
    },
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
  };
  if (new Set(SERVICE_NAMES.map((s) => config.roles.services[s].name)).size !== SERVICE_NAMES.length) {
    throw new ConfigError('DB_ROLE_AUTH', 'DB_ROLE_AUTH, DB_ROLE_CATALOG, DB_ROLE_INSTALLATION, DB_ROLE_PROXY: each service needs a role of its own (two have the same name)');
  }
  return deepFreeze(config);
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const key of Object.keys(value)) deepFreeze((value as Record<string, unknown>)[key]);
    Object.freeze(value);
  }
  return value;
}

/**
 * Loads `.env` (without overriding variables already set) and parses the result.
 * Entry points call this once; libraries take a Config.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  // dotenv is required lazily so that tests that build configs by hand never read a developer's .env.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  require('dotenv').config({ quiet: true });
  return parseConfig(env);
}

/** Every variable the service reads, for documentation checks (.env.example, docker-compose.yml). */
export const CONFIG_VARIABLES: readonly string[] = Object.freeze(Object.keys(envSchema.shape));
