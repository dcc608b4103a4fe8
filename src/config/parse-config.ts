import { ConfigError } from './config-error';
import { SERVICE_NAMES, type Config } from './config-type';
import { envSchema } from './env-schema';
import { assertProductionIssuer, parseOidcSettings } from './oidc-settings';
import { parseFactorSettings } from './factor-settings';
import { prepareEnv } from './env-checks';
import { parseFederationSettings } from './federation-settings';
import { parseWebSignInSettings } from './web-sign-in-settings';
import { parseDeveloperCredentialsSettings } from './developer-credentials-settings';
import { parseEventsSettings } from './events-settings';
import { parseAbuseSettings } from './abuse-settings';

/**
 * Parses and validates an environment (normally `process.env`) into a frozen Config.
 * Throws ConfigError naming the first bad variable.
 */
export function parseConfig(raw: NodeJS.ProcessEnv): Config {
  // Issue 21: X_FILE secrets, quoted values, unencoded URL passwords, sslmode aliases (env-checks.ts).
  const env = prepareEnv(raw, Object.keys(envSchema.shape));
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
  if (e.DATABASE_READ_URL && !e.DATABASE_URL) {
    throw new ConfigError('DATABASE_READ_URL', 'DATABASE_READ_URL: set DATABASE_URL too (a replica of the embedded development database is not supported)');
  }
  // Production's https rule is checked after the variables above, so their errors come first.
  const oidc = parseOidcSettings(e, e.PORT, { checkProduction: false });
  const abuse = parseAbuseSettings(e);
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
    assertProductionIssuer(e.NODE_ENV, oidc.issuer);
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
      drainDelayMs: e.DRAIN_DELAY_MS ?? (e.NODE_ENV === 'production' ? 5_000 : 0),
      keepAliveTimeoutMs: e.HTTP_KEEP_ALIVE_TIMEOUT_MS,
    },
    log: { level: e.LOG_LEVEL },
    db: {
      url: e.DATABASE_URL,
      migrationUrl: e.MIGRATION_DATABASE_URL,
      readUrl: e.DATABASE_READ_URL,
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
      nextTokenSecret: e.TOKEN_NEXT_SECRET,
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
      clientIpv6Networks: e.CLIENT_IPV6_NETWORK_BUDGETS,
      loginMaxChecksPerPrefix: e.LOGIN_MAX_CHECKS_PER_PREFIX,
      loginChecksReserved: e.LOGIN_CHECKS_RESERVED,
    },
    audit: { retentionDays: e.AUTH_EVENTS_RETENTION_DAYS, repeatWindowSeconds: e.AUDIT_REPEAT_WINDOW_SECONDS },
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
      maxPerAddressTotal: e.MAIL_MAX_PER_ADDRESS_TOTAL,
      addressDebounceSeconds: e.MAIL_ADDRESS_DEBOUNCE_SECONDS,
      defaultLocale: e.MAIL_DEFAULT_LOCALE,
    },
    accounts: {
      passwordChangeMaxPerAccount: e.PASSWORD_CHANGE_MAX_PER_ACCOUNT,
      passwordChangeWindowSeconds: e.PASSWORD_CHANGE_WINDOW_SECONDS,
      refusedEmailTlds: Object.freeze(e.EMAIL_REFUSED_TLDS),
      tokenRetentionSeconds: e.ACCOUNT_TOKEN_RETENTION_SECONDS,
      mailRetentionDays: e.MAIL_RETENTION_DAYS,
      pruneBatchSize: e.ACCOUNT_PRUNE_BATCH_SIZE,
      pruneIntervalMs: e.ACCOUNT_PRUNE_INTERVAL_MS,
    },
    oidc,
    federation: parseFederationSettings(e),
    webSignIn: parseWebSignInSettings(e),
    developerCredentials: parseDeveloperCredentialsSettings(e, oidc.issuer),
    events: parseEventsSettings(e),
    factors: parseFactorSettings(e),
    abuse,
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
