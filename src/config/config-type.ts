// Over 250 lines on purpose: the one typed Config, a field per setting, each documented where it is declared.
import type { AbuseSettings } from './abuse-settings';
import type { AppleClientSecretSettings } from './apple-web-sign-in-settings';
import type { Env } from './env-schema';
import type { EventsSettings } from './events-settings';

/** The typed, frozen configuration every module receives instead of reading the environment. */
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
    /** After SIGTERM: how long the instance keeps serving, unready, before it stops accepting (issue 21). */
    readonly drainDelayMs: number;
    /** Idle keep-alive sockets close after this; headers must arrive within it plus a second. */
    readonly keepAliveTimeoutMs: number;
  };
  readonly log: { readonly level: Env['LOG_LEVEL'] };
  readonly db: {
    /** Pooled endpoint used at run time; undefined means "use the embedded server". */
    readonly url: string | undefined;
    /** Direct endpoint used by migrations; undefined means "use the embedded server". */
    readonly migrationUrl: string | undefined;
    /** A read replica for reads that may lag (src/db/read-replica.ts); undefined: every read on `url`. */
    readonly readUrl?: string | undefined;
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
    /** TOKEN_NEXT_SECRET: accepted like a previous secret, so that instances still on it accept what the next release makes (issue 21). */
    readonly nextTokenSecret: string | undefined;
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
    /** Issue 22 M3: IPv6 networks wider than clientIpv6Prefix share `factor` times a per-address budget. */
    readonly clientIpv6Networks: readonly { readonly prefixLength: number; readonly factor: number }[];
    /** Password checks in flight per client prefix (IPv4 address; each IPv6 network level). */
    readonly loginMaxChecksPerPrefix: number;
    /** Slots of loginMaxChecksInFlight only clients with no recent wrong password may take. */
    readonly loginChecksReserved: number;
  };
  /** Issue 11: the audit log's retention and the /metrics endpoint. */
  readonly audit: {
    readonly retentionDays: number;
    /** Issue 22 M7/L7: events that can repeat without limit are recorded once per subject and address per this window. */
    readonly repeatWindowSeconds: number;
  };
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
    /** Issue 22 M4: mails to one address from every client together per window (maxPerAddress is per client). */
    readonly maxPerAddressTotal: number;
    /** At most one mail to an address per this many seconds. */
    readonly addressDebounceSeconds: number;
    /** Issue 30: the language of mail for users without one, and the end of every fallback chain before en. */
    readonly defaultLocale: string;
  };
  /** Issue 22: the account flows' own limits and the retention of their data. */
  readonly accounts: {
    readonly passwordChangeMaxPerAccount: number;
    readonly passwordChangeWindowSeconds: number;
    /** Registration and email change refuse addresses under these top-level domains. */
    readonly refusedEmailTlds: readonly string[];
    /** Spent or expired link tokens are deleted this long after. */
    readonly tokenRetentionSeconds: number;
    /** Sent and failed mails are deleted this many days after they were queued. */
    readonly mailRetentionDays: number;
    readonly pruneBatchSize: number;
    readonly pruneIntervalMs: number;
  };
  /** The OpenID provider for cats (issue 27). */
  readonly oidc: {
    /** The issuer URL; its path is where the provider is mounted (default http://localhost:PORT/oidc). */
    readonly issuer: string;
    readonly accessTokenTtlSeconds: number;
    readonly idTokenTtlSeconds: number;
    readonly refreshTokenTtlSeconds: number;
    /** How long a player's consent (the library's Grant) lasts before the consent page asks again. */
    readonly grantTtlSeconds: number;
    /** The provider's own browser session (its cookie), after which the login page asks again. */
    readonly sessionTtlSeconds: number;
  };
  /** Sign-in with other providers' ID tokens and guest players (issue 25, federation-settings.ts). */
  readonly federation: {
    readonly providers: readonly { readonly name: 'apple' | 'google'; readonly issuer: string; readonly jwksUri: string; readonly clientIds: readonly string[] }[];
    readonly clockToleranceSeconds: number;
    /** ID tokens issued longer ago than this are refused, whatever their exp. */
    readonly maxTokenAgeSeconds: number;
    readonly jwksCacheSeconds: number;
    /** After a fetch, how long an unknown kid waits before the JWKS is fetched again. */
    readonly jwksCooldownSeconds: number;
    readonly guests: { readonly maxPerIp: number; readonly windowSeconds: number; readonly lifetimeSeconds: number };
  };
  /** Web redirect sign-in with any OpenID provider (issue 25 item 2, web-sign-in-settings.ts). */
  readonly webSignIn: {
    readonly providers: readonly {
      readonly name: string;
      readonly issuer: string;
      readonly clientId: string;
      readonly clientSecret: string | undefined;
      /** Asked at the authorization endpoint (Apple: "openid name email"). */
      readonly scope: string;
      /** form_post: the provider answers with a cross-site POST to the callback (Apple, when name or email is asked). */
      readonly responseMode: 'query' | 'form_post';
      /** Sign in with Apple: the client secret is an ES256 JWT signed for each code exchange (apple-web-sign-in-settings.ts). */
      readonly appleClientSecret: AppleClientSecretSettings | undefined;
    }[];
    /** Our callback (registered at each provider); empty when no provider is configured. */
    readonly callbackUrl: string;
    /** The only frontend URLs a redirect sign-in returns to (exact match). */
    readonly returnUrls: readonly string[];
    /** How long a started sign-in may take (the signed state cookie's lifetime). */
    readonly stateTtlSeconds: number;
  };
  /** Developer credentials (issue 28): device login (RFC 8628) and personal access tokens. */
  readonly developerCredentials: {
    readonly device: {
      /** Public clients that may start a device login (the CLI's client_id). */
      readonly clientIds: readonly string[];
      readonly codeTtlSeconds: number;
      /** The least time between two polls of one device code; slow_down adds 5 s (RFC 8628 §3.5). */
      readonly pollIntervalSeconds: number;
      /** Device authorization requests per client address within LOGIN_THROTTLE_WINDOW_SECONDS. */
      readonly maxAuthorizationsPerIp: number;
      /** Wrong or expired user codes entered per client address within LOGIN_THROTTLE_WINDOW_SECONDS. */
      readonly maxUserCodeFailuresPerIp: number;
      /** The page where the user enters the code: the public origin of OIDC_ISSUER + /device. */
      readonly verificationUri: string;
    };
    readonly pats: {
      /** A token's expiry is required and at most this many days ahead. */
      readonly maxTtlDays: number;
      /** Live (unexpired, unrevoked) tokens per user. */
      readonly maxPerUser: number;
      /** Lifetime of the access token a PAT is exchanged for (never past the PAT's expiry). */
      readonly accessTokenTtlSeconds: number;
      /** Creating a token needs a sign-in at most this old (the session's start). */
      readonly createMaxAuthAgeSeconds: number;
      /** Expired or revoked tokens (and expired device codes) are deleted this many days later. */
      readonly retentionDays: number;
    };
  };
  /** Security events, webhooks and the Shared Signals transmitter (issue 29). */
  readonly events: EventsSettings;
  /** Passkeys, second factors and step-up (issue 26). */
  readonly factors: {
    /** The WebAuthn relying party id: APP_URL's host unless WEBAUTHN_RP_ID says otherwise. */
    readonly rpId: string;
    /** rp.name of WebAuthn, and the issuer an authenticator app shows. */
    readonly rpName: string;
    /** Origins whose WebAuthn responses are accepted: web origins and android:apk-key-hash:... */
    readonly origins: readonly string[];
    /** iOS apps (TEAMID.bundle.id) named in /.well-known/apple-app-site-association (webcredentials). */
    readonly appleAppIds: readonly string[];
    /** Android apps named in /.well-known/assetlinks.json (get_login_creds). */
    readonly androidApps: readonly { readonly packageName: string; readonly fingerprints: readonly string[] }[];
    /** Roles that must have a second factor before any sensitive action. */
    readonly requiredRoles: readonly UserRoleName[];
    /** A second factor younger than this makes a sensitive action possible (step-up). */
    readonly stepUpMaxAgeSeconds: number;
    /** Lifetime of the MFA token a password login answers when the account has a second factor. */
    readonly mfaTokenTtlSeconds: number;
  };
  readonly migrations: {
    readonly lockTimeoutMs: number;
    readonly ddlLockTimeoutMs: number;
    readonly statementTimeoutMs: number;
  };
  /** Breached-password check, CAPTCHA and mail locales (issue 30, abuse-settings.ts). */
  readonly abuse: AbuseSettings;
  /** The login role of each service, and whether `migrate up` may create missing ones. */
  readonly roles: {
    readonly services: Readonly<Record<ServiceName, { readonly name: string; readonly password: string | undefined }>>;
    readonly create: boolean;
  };
}

/** The account roles (the same list as the users table's enum). */
export type UserRoleName = 'player' | 'developer' | 'admin';

/** The services that share the database, each with a role of its own. */
export const SERVICE_NAMES = ['auth', 'catalog', 'installation', 'proxy'] as const;
export type ServiceName = (typeof SERVICE_NAMES)[number];
