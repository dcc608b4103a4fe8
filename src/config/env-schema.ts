// Over 250 lines on purpose: one declaration per environment variable, all in one place, so that CONFIG_VARIABLES
// and the documentation checks see every one of them.
import { z } from 'zod';
import { abuseEnvShape } from './abuse-settings';

// What the environment may hold: every variable the service reads, its type, bounds and default.

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

/** `prefix:factor` pairs (e.g. 56:4,48:16): IPv6 networks wider than CLIENT_IPV6_PREFIX sharing factor times its budget. */
const ipv6NetworkBudgets = z
  .string()
  .regex(/^\s*(\d{1,3}:\d{1,4}\s*(,\s*\d{1,3}:\d{1,4}\s*)*)?$/, { message: 'expected prefix:factor pairs like 56:4,48:16' })
  .transform((v) =>
    v
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s.length > 0)
      .map((pair) => {
        const [prefix, factor] = pair.split(':').map(Number);
        return { prefixLength: prefix!, factor: factor! };
      }),
  )
  .refine((list) => list.every((n) => n.prefixLength >= 1 && n.prefixLength <= 127 && n.factor >= 1), {
    message: 'expected prefix lengths 1-127 and factors >= 1, like 56:4,48:16',
  });

/** Top-level domains, comma-separated, lower case, without dots (e.g. invalid,test). */
const tldList = csv.pipe(
  z.array(z.string().regex(/^[a-z0-9-]+$/i, { message: 'expected top-level domains like invalid,test (no dots)' }).transform((t) => t.toLowerCase())),
);

/** Empty strings in `.env` mean "not set", as in most dotenv setups. */
const optional = <T extends z.ZodTypeAny>(schema: T) =>
  z.preprocess((v) => (v === '' ? undefined : v), schema.optional());

/** A list variable whose default is written as the variable would be (unset or empty: the default). */
const withDefault = <T extends z.ZodTypeAny>(value: string, schema: T) =>
  z.preprocess((v) => (v === undefined || v === '' ? value : v), schema);

export const envSchema = z.object({
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
  // Issue 21: after SIGTERM, serve this long unready before closing (default 5000 in production, else 0).
  DRAIN_DELAY_MS: optional(int(0, 600_000)),
  // Above the idle timeout of the load balancer in front (AWS ALB 60 s, nginx 60 s), so it never reuses a closed socket.
  HTTP_KEEP_ALIVE_TIMEOUT_MS: int(1_000, 3_600_000).default(65_000),

  DATABASE_URL: optional(postgresUrl),
  MIGRATION_DATABASE_URL: optional(postgresUrl),
  // Issue 31: a read replica for reads that may lag (admin search, event views).
  DATABASE_READ_URL: optional(postgresUrl),
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
  // Issue 21: phase one of a rotation: accepted everywhere, used by no instance to make anything yet.
  TOKEN_NEXT_SECRET: optional(z.string().min(32, { message: 'expected at least 32 characters' })),
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
  // At least 30: the database's retention function never drops a younger event (issue 22 M6).
  AUTH_EVENTS_RETENTION_DAYS: int(30, 36_500).default(90),
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

  // Issue 22: account hardening (README, "Configuration"; docs/api.md).
  CLIENT_IPV6_NETWORK_BUDGETS: withDefault('56:4,48:16', ipv6NetworkBudgets),
  LOGIN_MAX_CHECKS_PER_PREFIX: int(1, 10_000).default(8),
  LOGIN_CHECKS_RESERVED: int(0, 10_000).default(8),
  PASSWORD_CHANGE_MAX_PER_ACCOUNT: int(1, 1_000).default(5),
  PASSWORD_CHANGE_WINDOW_SECONDS: int(60, 604_800).default(3_600),
  MAIL_MAX_PER_ADDRESS_TOTAL: int(1, 1_000_000).default(20),
  MAIL_ADDRESS_DEBOUNCE_SECONDS: int(0, 3_600).default(30),
  EMAIL_REFUSED_TLDS: withDefault('invalid,localhost,test,example', tldList),
  AUDIT_REPEAT_WINDOW_SECONDS: int(1, 86_400).default(900),
  ACCOUNT_TOKEN_RETENTION_SECONDS: int(0, 31_536_000).default(86_400),
  MAIL_RETENTION_DAYS: int(1, 3_650).default(14),
  ACCOUNT_PRUNE_BATCH_SIZE: int(1, 100_000).default(1_000),
  ACCOUNT_PRUNE_INTERVAL_MS: int(1_000, 86_400_000).default(600_000),
  // The OpenID provider for cats, "Sign in with Cat House" (issue 27).
  OIDC_ISSUER: optional(z.string().url({ message: 'expected the provider\'s public URL, e.g. https://auth.cathouse.example/oidc' })),
  OIDC_ACCESS_TOKEN_TTL_SECONDS: int(30, 86_400).default(600),
  OIDC_ID_TOKEN_TTL_SECONDS: int(30, 86_400).default(3_600),
  OIDC_REFRESH_TOKEN_TTL_SECONDS: int(60, 31_536_000).default(1_209_600),
  OIDC_GRANT_TTL_SECONDS: int(60, 315_360_000).default(31_536_000),
  OIDC_SESSION_TTL_SECONDS: int(60, 31_536_000).default(1_209_600),

  // Sign-in with Apple and Google ID tokens, and guest players (issue 25; src/config/federation-settings.ts).
  APPLE_CLIENT_IDS: optional(csv.pipe(z.array(z.string().min(1)).min(1, { message: 'expected client ids (bundle ids, services id) separated by commas' }))),
  APPLE_ISSUER: z.string().url({ message: 'expected the issuer URL, e.g. https://appleid.apple.com' }).default('https://appleid.apple.com'),
  APPLE_JWKS_URI: z.string().url({ message: 'expected the JWKS URL, e.g. https://appleid.apple.com/auth/keys' }).default('https://appleid.apple.com/auth/keys'),
  GOOGLE_CLIENT_IDS: optional(csv.pipe(z.array(z.string().min(1)).min(1, { message: 'expected OAuth client ids (web, iOS, Android) separated by commas' }))),
  GOOGLE_ISSUER: z.string().url({ message: 'expected the issuer URL, e.g. https://accounts.google.com' }).default('https://accounts.google.com'),
  GOOGLE_JWKS_URI: z.string().url({ message: 'expected the JWKS URL, e.g. https://www.googleapis.com/oauth2/v3/certs' }).default('https://www.googleapis.com/oauth2/v3/certs'),
  ID_TOKEN_CLOCK_TOLERANCE_SECONDS: int(0, 300).default(60),
  ID_TOKEN_MAX_AGE_SECONDS: int(60, 86_400).default(3_600),
  PROVIDER_JWKS_CACHE_SECONDS: int(0, 86_400).default(600),
  PROVIDER_JWKS_COOLDOWN_SECONDS: int(0, 3_600).default(30),
  GUEST_MAX_PER_IP: int(1, 1_000_000).default(5),
  GUEST_WINDOW_SECONDS: int(1, 86_400).default(3_600),
  GUEST_LIFETIME_SECONDS: int(3_600, 315_360_000).default(2_592_000),
  // Web redirect sign-in with any OpenID provider (issue 25 item 2; src/config/web-sign-in-settings.ts).
  WEB_SIGN_IN_PROVIDERS: optional(z.string()),
  WEB_SIGN_IN_CALLBACK_URL: optional(z.string()),
  WEB_SIGN_IN_RETURN_URLS: optional(csv),
  WEB_SIGN_IN_STATE_TTL_SECONDS: int(60, 3_600).default(600),
  // Developer credentials (issue 28): the device login of the CLI and personal access tokens.
  DEVICE_CLIENT_IDS: csv
    .pipe(z.array(z.string().regex(/^[A-Za-z0-9._-]{1,100}$/, { message: 'expected client ids of letters, digits, . _ - (comma-separated)' })).min(1, { message: 'expected at least one client id' }))
    .default(['cathouse-cli']),
  DEVICE_CODE_TTL_SECONDS: int(60, 1_800).default(600),
  DEVICE_POLL_INTERVAL_SECONDS: int(1, 60).default(5),
  DEVICE_AUTHORIZATIONS_MAX_PER_IP: int(1, 1_000_000).default(30),
  DEVICE_USER_CODE_MAX_FAILURES_PER_IP: int(1, 1_000).default(10),
  PAT_MAX_TTL_DAYS: int(1, 3_650).default(366),
  PAT_MAX_PER_USER: int(1, 1_000).default(50),
  PAT_ACCESS_TOKEN_TTL_SECONDS: int(30, 3_600).default(900),
  PAT_CREATE_MAX_AUTH_AGE_SECONDS: int(60, 86_400).default(900),
  PAT_RETENTION_DAYS: int(0, 3_650).default(30),
  // Security events: webhooks and the Shared Signals transmitter (issue 29; src/config/events-settings.ts).
  EVENTS_POLL_INTERVAL_MS: int(50, 600_000).default(500),
  EVENTS_SEND_TIMEOUT_MS: int(100, 120_000).default(10_000),
  EVENTS_MAX_ATTEMPTS: int(1, 100).default(15),
  EVENTS_RETRY_BASE_MS: int(10, 3_600_000).default(1_000),
  EVENTS_RETRY_MAX_MS: int(100, 86_400_000).default(3_600_000),
  EVENTS_RETENTION_DAYS: int(1, 3_650).default(30),
  EVENTS_ALLOWED_NETWORKS: optional(csv),
  EVENTS_SECRET_ROTATION_GRACE_SECONDS: int(0, 2_592_000).default(86_400),
  SSF_ISSUER: optional(z.string().url({ message: 'expected the public https URL of this service, e.g. https://auth.cathouse.example' })),
  SSF_POLL_MAX_WAIT_MS: int(0, 60_000).default(20_000),
  // Passkeys, second factors and step-up (issue 26; factor-settings.ts checks how they fit together).
  WEBAUTHN_RP_ID: optional(z.string().min(1)),
  WEBAUTHN_RP_NAME: z.string().min(1).max(64).default('Cat House'),
  WEBAUTHN_ORIGINS: optional(csv),
  APPLE_APP_IDS: optional(csv),
  ANDROID_APPS: optional(csv),
  MFA_REQUIRED_ROLES: optional(csv),
  STEP_UP_MAX_AGE_SECONDS: int(30, 86_400).default(600),
  MFA_TOKEN_TTL_SECONDS: int(60, 1_800).default(300),

  MIGRATION_LOCK_TIMEOUT_MS: int(0, 3_600_000).default(60_000),
  MIGRATION_DDL_LOCK_TIMEOUT_MS: int(0, 3_600_000).default(5_000),
  MIGRATION_STATEMENT_TIMEOUT_MS: int(0, 86_400_000).default(0),

  // `npm run migrate -- rehearse --neon`: a Neon branch of the migration database (docs/migrations.md).
  NEON_API_KEY: optional(z.string().min(1)),
  NEON_PROJECT_ID: optional(z.string().regex(/^[a-z0-9-]+$/, { message: 'expected a Neon project id like autumn-disk-484331' })),
  NEON_PARENT_BRANCH_ID: optional(z.string().regex(/^br-[a-z0-9-]+$/, { message: 'expected a Neon branch id like br-wispy-dew-591433' })),
  NEON_API_URL: z.string().url({ message: 'expected the Neon API base URL, e.g. https://console.neon.tech/api/v2' }).default('https://console.neon.tech/api/v2'),

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

  // Abuse defences and mail locales (issue 30): abuse-settings.ts.
  ...abuseEnvShape,
});


export type Env = z.infer<typeof envSchema>;
