// Over 250 lines on purpose: the composition root, where each part of the service is made and wired once; the
// code of every concern lives in its own folder, only its construction is here.
import express, { type Express } from 'express';
import type { DataSource } from 'typeorm';
import type { AuthKeys } from '../auth/tokens/auth-keys';
import { AccountService } from '../auth/accounts/account-service';
import { AccountViews } from '../auth/accounts/account-views';
import { hashEmailForAudit } from '../auth/audit/audit-events';
import { AuthService } from '../auth/auth-service';
import { createMailThrottle } from '../auth/throttling/mail-throttle';
import { createPasswordChangeThrottle } from '../auth/throttling/password-change-throttle';
import { createRepeatGuard } from '../auth/audit/repeat-guard';
import { outboxKey } from '../auth/mail/outbox';
import { createPasswordHasher, type PasswordHasher } from '../auth/accounts/passwords';
import type { Config } from '../config/config';
import type { LagTolerantReads } from '../db/read-replica';
import type { Logger } from '../logging/logger';
import { corsForAllowList } from './middleware/cors';
import { createLifecycle, type Lifecycle } from './drain';
import { errorHandler, notFoundHandler } from './middleware/error-handler';
import { methodNotAllowed } from './middleware/method-not-allowed';
import { createMetrics, type ServiceMetrics } from './metrics';
import { requestLogging } from './middleware/request-logging';
import { securityHeaders } from './middleware/security-headers';
import { oauthTokenErrorHandler } from './oauth-errors';
import { buildOpenApiDocument } from './openapi/document';
import { accountRoutes } from './routes/account';
import { adminRoutes } from './routes/admin';
import { authMethodNotAllowed, authRoutes } from './routes/auth';
import { clientGrants } from './routes/client-grants';
import { healthRoutes } from './routes/health';
import { JWKS_PATH, jwksRoutes } from './routes/jwks';
import { metricsRoutes } from './routes/metrics';
import { connectedAppRoutes } from './routes/connected-apps';
import { oidcRoutes } from './routes/oidc';
import { createOidcProvider } from '../auth/oidc/provider';
import { formKeys } from '../auth/oidc/keys';
import { passwordSignIn } from '../auth/oidc/sign-in/password';
import type { SignInRecorder, SignInStep } from '../auth/oidc/sign-in/sign-in-method';
import { sessionRoutes } from './routes/sessions';
import { federationRoutes } from './routes/federation';
import { federationRedirectRoutes } from './routes/federation-redirect';
import { guestRoutes } from './routes/guests';
import { createFederation } from './federation-wiring';
import { pageRedirects } from '../auth/federation/page-redirects';
import { deviceAuthorizations } from '../auth/developer-credentials/device-authorizations';
import { devicePageKeys } from '../auth/developer-credentials/page-state';
import { deviceAuthorizationRoutes, developerGrants } from './routes/developer-grants';
import { devicePageRoutes } from './routes/device-pages';
import { personalAccessTokenRoutes } from './routes/personal-access-tokens';
import { ssfRoutes } from './routes/ssf';
import { webhookRoutes } from './routes/webhooks';
import { sealingKeys } from '../auth/events/secrets';
// Passkeys, second factors and step-up (issue 26).
import { createFactors } from '../auth/factors/factors';
import { mfaStep } from '../auth/oidc/sign-in/mfa-step';
import { passkeySignIn } from '../auth/oidc/sign-in/passkey';
import { appAssociationRoutes } from './routes/app-associations';
import { factorRoutes } from './routes/factors';
import { stepUpGuard } from './middleware/step-up';
import { createAbuseDefences } from '../auth/abuse/defences';
import { createAbuseMetrics } from './abuse-metrics';

export const API_PREFIX = '/api/v1/auth';

export interface AppDeps {
  config: Config;
  dataSource: DataSource;
  logger: Logger;
  /** Signing keys and token secret, loaded once at start (see loadAuthKeys). */
  authKeys: AuthKeys;
  /** Prometheus metrics; a fresh set is made when not given (issue 11, GET /metrics). */
  metrics?: ServiceMetrics;
  /** Called after a commit that queued mail: the instance's mail sender looks at once (see mail/sender.ts). */
  mailQueued?: () => void;
  /** The password hasher (bcrypt at BCRYPT_COST when not given); tests hold a check open with their own. */
  hasher?: PasswordHasher;
  /** Draining on SIGTERM (issue 21, drain.ts): /ready turns 503 and responses close their connections. */
  lifecycle?: Lifecycle;
  /** The clock of authenticator-app codes (issue 26); tests check codes at fixed times. */
  factorClock?: (() => number) | undefined;
  /** Where reads that may lag go (issue 31: DATABASE_READ_URL); the primary when not given. */
  reads?: LagTolerantReads;
}

/** Builds the Express app without listening, so tests drive it through supertest. */
export function createApp({
  config,
  dataSource,
  logger,
  authKeys,
  metrics = createMetrics(dataSource, { apiPrefix: API_PREFIX }),
  mailQueued = () => {},
  hasher = createPasswordHasher(config.auth.bcryptCost),
  lifecycle = createLifecycle(),
  factorClock,
  reads,
}: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  // Every answer is an API answer, mostly no-store: an ETag would cost a SHA-1 of each body for nothing.
  app.set('etag', false);
  app.set('trust proxy', parseTrustProxy(config.http.trustProxy));
  app.use(lifecycle.middleware);
  app.use(securityHeaders);
  app.use(requestLogging(app, logger, { apiPrefix: API_PREFIX, probePaths: [`${API_PREFIX}/health`, `${API_PREFIX}/ready`, '/metrics'] }));
  app.use(metrics.requests);
  // The OpenID provider for cats (issue 27) reads its own bodies and answers CORS per client: before both.
  // Its sign-in methods close over `service`, made below (they run only on requests).
  const oidc = createOidcProvider({ config, dataSource, keys: authKeys, logger, jwksUri: new URL(JWKS_PATH, config.oidc.issuer).href });
  // Steps after a sign-in method: issue 26's second factor. The OIDC login page and the /device page ask them.
  // `factors` is made below (used on requests only).
  const signInSteps: SignInStep[] = [
    mfaStep({
      challengeFor: (...a) => factors.signIn.challengeFor(...a),
      verifyMfaChallenge: (...a) => factors.signIn.verifyMfaChallenge(...a),
      mfaPasskeyOptions: (...a) => factors.signIn.mfaPasskeyOptions(...a),
    }),
  ];
  // A page's sign-in is recorded (login_succeeded) once its steps are done too, not after the password alone.
  const pageSignIn = (via: 'oidc' | 'device'): SignInRecorder => (result, client) => service.recordPageSignIn(result.userId, result.methods, client, via, result.providerSignIn);
  // Issue 30: breached-password check and CAPTCHA (src/auth/abuse); login's CAPTCHA reads the login throttle
  // and guards every password sign-in (AuthService.checkSignInPassword), the pages' too, which show its widget.
  const abuse = createAbuseDefences(config.abuse, {
    observer: createAbuseMetrics(metrics.registry),
    logger,
    loginThrottle: () => service.throttle,
    outboxKey: outboxKey(authKeys.tokenSecret),
    resetTtlSeconds: config.mail.passwordResetTtlSeconds,
  });
  const pageMethods = [
    passwordSignIn({ checkSignInPassword: (...a) => service.checkSignInPassword(...a) }, abuse.loginCaptcha),
    // Issue 26: a passkey alone, checked by the JSON API's passkey sign-in.
    passkeySignIn({ passkeySignInOptions: (...a) => factors.signIn.passkeySignInOptions(...a), verifyPasskeySignIn: (...a) => factors.signIn.verifyPasskeySignIn(...a) }),
  ];
  // Issue 25: "Continue with <provider>" on the login page and /device, through the web redirect flow made below (createFederation).
  let federationWired: ReturnType<typeof createFederation>;
  const providerRedirects = pageRedirects(config.webSignIn, dataSource, () => federationWired);
  app.use(oidcRoutes({ oidc, dataSource, formKeys: formKeys(authKeys), methods: pageMethods, steps: signInSteps, signedIn: pageSignIn('oidc'), logger, redirects: providerRedirects }));
  app.use(corsForAllowList(config.auth.corsOrigins));
  app.use(express.json({ limit: config.http.jsonBodyLimit, type: ['application/json', 'application/*+json'] }));

  // Issue 22: refusals a client can repeat without limit are audited once per subject and address per window.
  const repeatGuard = createRepeatGuard(dataSource, { windowSeconds: config.audit.repeatWindowSeconds, ipv6PrefixLength: config.auth.clientIpv6Prefix });
  // The account flows need the auth service's work gate and token signing, and registration
  // needs the account flows' verification mail: the callbacks close over `service`, set just below.
  // eslint-disable-next-line prefer-const
  let service: AuthService;
  const account = new AccountService({
    dataSource,
    mail: config.mail,
    hasher,
    get passwordChecks() {
      return service.passwordChecks;
    },
    get loginThrottle() {
      return service.throttle;
    },
    throttle: createMailThrottle(dataSource, {
      maxPerAddress: config.mail.maxPerAddress,
      maxPerAddressTotal: config.mail.maxPerAddressTotal,
      addressDebounceSeconds: config.mail.addressDebounceSeconds,
      maxPerIp: config.mail.maxPerIp,
      windowSeconds: config.mail.limitWindowSeconds,
      ipv6PrefixLength: config.auth.clientIpv6Prefix,
      ipv6Networks: config.auth.clientIpv6Networks,
    }),
    passwordChanges: createPasswordChangeThrottle(dataSource, {
      maxPerAccount: config.accounts.passwordChangeMaxPerAccount,
      windowSeconds: config.accounts.passwordChangeWindowSeconds,
    }),
    repeatGuard,
    refusedEmailTlds: config.accounts.refusedEmailTlds,
    outboxKey: outboxKey(authKeys.tokenSecret),
    mailQueued,
    accessToken: (subject) => service.accessToken(subject),
    auditEmailHash: (email) => hashEmailForAudit(authKeys.tokenSecret, email),
    logger,
    breachedPasswords: abuse.breachedPasswords,
  });
  // Issue 26: the factor rules use the service's throttle and sessions, and login asks them for the MFA challenge.
  const factors = createFactors({
    dataSource,
    config,
    secrets: { current: authKeys.tokenSecret, previous: authKeys.previousTokenSecrets },
    outboxKey: outboxKey(authKeys.tokenSecret),
    mailQueued,
    logger,
    throttle: () => service.throttle,
    sessions: () => service,
    now: factorClock,
  });
  service = new AuthService({
    dataSource,
    keys: authKeys,
    auth: config.auth,
    hasher,
    logger,
    // A provider sign-in finished by its second factor (or on a page) is counted with the other
    // provider sign-ins: federation's counters, made below (used on requests only).
    observer: { ...metrics.observer, providerSignIn: (s) => federationWired.observer.signIn?.(s.method, s.provider) },
    onRegistered: { inTransaction: (manager, user) => account.onRegistered(manager, user), afterCommit: mailQueued },
    emailPolicy: (email) => account.assertEmailAllowed(email),
    repeatGuard,
    secondFactor: factors.signIn,
    breachedPasswords: abuse.breachedPasswords,
    onSignedIn: abuse.newDeviceNotice,
    loginCaptcha: (...a) => abuse.loginCaptcha.check(...a),
  });
  let openApi: unknown;
  // The auth router first: it serves the hot paths (GET /me, POST /refresh), and each router
  // passed on the way costs every request its routes' matching. Its 405 answers come after the
  // others, which serve more methods of /me and /users/{id}.
  const clientGrant = clientGrants({ dataSource, keys: authKeys, config, service, repeatGuard, logger });
  // Developer credentials (issue 28): the CLI's device login and personal access tokens.
  const { device: deviceSettings, pats: patSettings } = config.developerCredentials;
  const devices = deviceAuthorizations(dataSource, { ...deviceSettings, windowSeconds: config.auth.loginThrottleWindowSeconds });
  const developerGrant = developerGrants(
    {
      dataSource,
      clientIds: deviceSettings.clientIds,
      tokenSecrets: { current: authKeys.tokenSecret, previous: authKeys.previousTokenSecrets },
      sessionSettings: {
        refreshTokenTtlSeconds: config.auth.refreshTokenTtlSeconds,
        reuseIntervalSeconds: config.auth.refreshReuseIntervalSeconds,
        maxLifetimeSeconds: config.auth.sessionMaxLifetimeSeconds,
      },
      accessToken: (subject) => service.accessToken(subject),
    },
    { dataSource, keys: authKeys.signingKeys, settings: { issuer: config.auth.issuer, audience: config.auth.audience, ttlSeconds: patSettings.accessTokenTtlSeconds } },
  );
  // Issue 26: sensitive actions need a recent second factor (the guard runs before their routes).
  app.use(API_PREFIX, stepUpGuard(service, (principal, action, options) => factors.service.requireStepUp(principal, action, options)));
  app.use(API_PREFIX, authRoutes({ service, config, clientGrant, developerGrant, abuse }));
  app.use(API_PREFIX, healthRoutes(dataSource, { readyToken: config.http.readyToken, lifecycle, metrics }));
  app.get(`${API_PREFIX}/openapi.json`, (_req, res) => {
    openApi ??= buildOpenApiDocument({ apiPrefix: API_PREFIX, jwksPath: JWKS_PATH });
    res.json(openApi);
  });
  app.all(`${API_PREFIX}/openapi.json`, methodNotAllowed('GET'));
  const views = new AccountViews(dataSource, reads);
  app.use(API_PREFIX, sessionRoutes({ service, accounts: views }));
  app.use(API_PREFIX, adminRoutes({ service, accounts: views }));
  app.use(API_PREFIX, accountRoutes({ service, account, captcha: abuse.captcha, dataSource }));
  // Sign-in with Apple/Google ID tokens, identities and guests (issue 25).
  const { federation, guests, redirects } = (federationWired = createFederation({ config, dataSource, authKeys, metrics, service, hasher, onRegistered: (m, u) => account.onRegistered(m, u), mailQueued, challenger: factors.signIn, captcha: abuse.captcha }));
  app.use(API_PREFIX, federationRoutes({ service, config, federation }));
  app.use(API_PREFIX, federationRedirectRoutes({ redirects, config }));
  app.use(API_PREFIX, guestRoutes({ service, config, guests }));
  app.use(API_PREFIX, connectedAppRoutes({ service, dataSource, provider: oidc.provider }));
  app.use(API_PREFIX, personalAccessTokenRoutes({ service, dataSource, settings: patSettings }));
  app.use(API_PREFIX, deviceAuthorizationRoutes(devices, config));
  app.use('/device', devicePageRoutes({ devices, dataSource, keys: devicePageKeys(authKeys), methods: pageMethods, steps: signInSteps, signedIn: pageSignIn('device'), redirects: providerRedirects }));
  // Issue 29: webhooks (admin API) and the Shared Signals transmitter.
  const sealing = sealingKeys(authKeys.tokenSecret, authKeys.previousTokenSecrets);
  app.use(API_PREFIX, webhookRoutes({ service, dataSource, webhooks: { policy: config.events, sealing }, rotationGraceSeconds: config.events.secretRotationGraceSeconds }));
  const ssf = ssfRoutes({ dataSource, config, keys: authKeys, sealing, apiPrefix: API_PREFIX });
  app.use(API_PREFIX, ssf.api);
  app.use(ssf.wellKnown);
  app.use(API_PREFIX, factorRoutes({ service, factors: factors.service, signIn: factors.signIn, config }));
  app.use(appAssociationRoutes(config.factors));
  app.use(API_PREFIX, authMethodNotAllowed());
  app.use(jwksRoutes(authKeys.signingKeys));
  app.use(metricsRoutes(metrics, { token: config.metrics.token }));
  // RFC 6749 §5.2 errors at the token endpoint only; everything else stays problem+json.
  app.use(`${API_PREFIX}/token`, oauthTokenErrorHandler);
  app.use(`${API_PREFIX}/device_authorization`, oauthTokenErrorHandler);

  app.use(notFoundHandler);
  app.use(errorHandler);
  return app;
}

/**
 * TRUST_PROXY: unset (trust nobody), a hop count, or a list of addresses/subnets (express syntax).
 * `true` is refused by config.ts: it trusts whatever X-Forwarded-For the client sends.
 */
function parseTrustProxy(value: string | undefined): boolean | number | string {
  if (value === undefined) return false;
  if (/^\d+$/.test(value)) return Number(value);
  if (value === 'false') return false;
  return value;
}
