import type { Express } from 'express';
import type { DataSource } from 'typeorm';
import { loadAuthKeys, type AuthKeys } from '../../src/auth/tokens/auth-keys';
import { startMailSender, type MailSender } from '../../src/auth/mail/sender';
import { createMailTransport } from '../../src/auth/mail/transport';
import { outboxKeys } from '../../src/auth/mail/outbox';
import { startSecurityEvents, type SecurityEvents } from '../../src/auth/events/service';
import { generateSigningKeyPem } from '../../src/auth/tokens/signing-keys';
import type { Config } from '../../src/config/config';
import { lagTolerantReads } from '../../src/db/read-replica';
import { createRuntimeDataSource } from '../../src/db/runtime-data-source';
import { API_PREFIX, createApp } from '../../src/http/app';
import { createMetrics } from '../../src/http/metrics';
import { createLogger, type Logger } from '../../src/logging/logger';
import type { PasswordHasher } from '../../src/auth/accounts/passwords';
import { createTestDatabase, type TestDatabase } from './database';
import { testConfig } from './env';

export interface TestApp {
  readonly app: Express;
  readonly config: Config;
  readonly dataSource: DataSource;
  readonly authKeys: AuthKeys;
  /** The instance's mail sender, when started with `{ mail: true }` (give SMTP_URL in env). */
  readonly mailSender: MailSender | undefined;
  /** The instance's security-event sender, when started with `{ events: true }` (issue 29). */
  readonly events: SecurityEvents | undefined;
  close(): Promise<void>;
}

/** One signing key per test process, so test files never write keys into the developer's DATA_DIR. */
let processKey: string | undefined;

/**
 * The real app over a real runtime DataSource on `databaseUrl`, for supertest. Unless `env`
 * names a key, the app signs with a key generated for this test process.
 */
export async function startTestApp(
  databaseUrl: string,
  env: Record<string, string | undefined> = {},
  { logger, mail = false, hasher, events = false, factorClock }: { logger?: Logger; mail?: boolean; hasher?: PasswordHasher; events?: boolean; factorClock?: () => number } = {},
): Promise<TestApp> {
  const keyConfigured = 'JWT_PRIVATE_KEY' in env || 'JWT_PRIVATE_KEY_FILE' in env;
  const config = testConfig({
    DATABASE_URL: databaseUrl,
    ...(keyConfigured ? {} : { JWT_PRIVATE_KEY: (processKey ??= generateSigningKeyPem()) }),
    ...env,
  });
  const authKeys = await loadAuthKeys(config);
  const dataSource = createRuntimeDataSource(databaseUrl, config.db);
  await dataSource.initialize();
  const log = logger ?? createLogger(config.log.level);
  const mailSender = mail
    ? startMailSender({ dataSource, transport: createMailTransport(config.mail, config.embedded.dataDir, log), mail: config.mail, keys: outboxKeys(authKeys.tokenSecret, authKeys.previousTokenSecrets), logger: log })
    : undefined;
  // The app's metrics also count the event sender's deliveries, as in src/server.ts.
  const metrics = createMetrics(dataSource, { apiPrefix: API_PREFIX });
  const reads = lagTolerantReads(dataSource, config.db, log);
  const app = createApp({ config, dataSource, logger: log, authKeys, mailQueued: mailSender?.nudge, metrics, reads, ...(hasher ? { hasher } : {}), factorClock });
  const securityEvents = events ? startSecurityEvents({ dataSource, config, authKeys, logger: log, observer: metrics.eventsObserver }) : undefined;
  return {
    app,
    config,
    dataSource,
    authKeys,
    mailSender,
    events: securityEvents,
    close: async () => {
      await securityEvents?.stop();
      await mailSender?.stop();
      await reads.close();
      await dataSource.destroy();
    },
  };
}

/**
 * Gives the enclosing `describe` its own migrated database and one app on it: registers the
 * beforeAll that starts them and the afterAll that closes the app and drops the database. The
 * returned TestApp is usable inside tests (its fields are read once beforeAll has run).
 */
export function useTestApp(env: Record<string, string | undefined> = {}, options: { mail?: boolean; events?: boolean } = {}): TestApp {
  let db: TestDatabase | undefined;
  let started: TestApp | undefined;
  beforeAll(async () => {
    db = await createTestDatabase();
    started = await startTestApp(db.url, env, options);
  });
  afterAll(async () => {
    await started?.close();
    await db?.drop();
  });
  const current = () => {
    if (!started) throw new Error('useTestApp(): the app exists only inside tests, after beforeAll');
    return started;
  };
  return {
    get app() {
      return current().app;
    },
    get config() {
      return current().config;
    },
    get dataSource() {
      return current().dataSource;
    },
    get authKeys() {
      return current().authKeys;
    },
    get mailSender() {
      return current().mailSender;
    },
    get events() {
      return current().events;
    },
    close: () => current().close(),
  };
}
