import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { DataSource } from 'typeorm';
import { loadAuthKeys } from './auth/tokens/auth-keys';
import { scheduleEventPruning } from './auth/audit/event-pruning';
import { startMailSender } from './auth/mail/sender';
import { startSecurityEvents } from './auth/events/service';
import { createMailTransport } from './auth/mail/transport';
import { outboxKeys } from './auth/mail/outbox';
import { schedulePruning } from './auth/sessions/session-pruning';
import { pruneAccountTokens, schedulePrune } from './auth/accounts/token-pruning';
import { pruneMailOutbox } from './auth/mail/outbox-pruning';
import { scheduleOidcPruning } from './auth/oidc/pruning';
import { scheduleGuestPruning } from './auth/guests/guest-pruning';
import { scheduleDeveloperCredentialsPruning } from './auth/developer-credentials/pruning';
import { libraryWarnings } from './auth/oidc/library';
import type { Config } from './config/config';
import { assertMailDeliveryConfigured } from './config/mail-requirement';
import { EMBEDDED_DATABASE, embeddedRolePassword, embeddedUrl, startEmbeddedPostgres, type EmbeddedPostgres } from './db/embedded-postgres';
import { embeddedDataDir } from './db/migration-connection';
import { MigrationDataSource } from './db/migration-data-source';
import { lagTolerantReads } from './db/read-replica';
import { createRuntimeDataSource } from './db/runtime-data-source';
import { runtimeRoleWarning } from './db/start-checks';
import { API_PREFIX, createApp } from './http/app';
import { createMetrics } from './http/metrics';
import { createLifecycle, drainServer, type DrainResult } from './http/drain';
import type { Logger } from './logging/logger';

export interface RunningService {
  readonly url: string;
  /** Where the runtime connects, with the password masked, for the start-up line. */
  readonly database: string;
  readonly server: Server;
  readonly dataSource: DataSource;
  /**
   * Drains (http/drain.ts: unready at once, serves `delayMs` more, then stops accepting and lets
   * in-flight requests finish), then stops the background tasks, the pool and the embedded server.
   */
  close(options?: { delayMs?: number }): Promise<DrainResult>;
}

export function maskUrl(url: string): string {
  const parsed = new URL(url);
  if (parsed.password) parsed.password = '***';
  return parsed.toString();
}

/**
 * Starts the auth service: the database (embedded when no DATABASE_URL is set, with its
 * migrations applied), the runtime pool, and the HTTP server. Production never migrates here:
 * deploys run `npm run migrate -- up`, and `/ready` reports a schema that is behind.
 */
export async function startService(config: Config, logger: Logger): Promise<RunningService> {
  // Keys and mail first: a bad configuration stops the start before anything else is started.
  const authKeys = await loadAuthKeys(config);
  assertMailDeliveryConfigured(config);
  if (authKeys.signingKeys.source === 'development-file') {
    logger.warn({ kid: authKeys.signingKeys.current.kid }, 'no JWT_PRIVATE_KEY configured: using the development signing key in DATA_DIR/keys');
  }
  let embedded: EmbeddedPostgres | undefined;
  let runtimeUrl = config.db.url;
  if (!runtimeUrl) {
    const started = Date.now();
    embedded = await startEmbeddedPostgres({
      dataDir: embeddedDataDir(config),
      port: config.embedded.port,
      persistent: true,
    });
    logger.info(
      { ms: Date.now() - started, reused: !embedded.started, data: embedded.clusterDir },
      `embedded PostgreSQL ready (data in ${embedded.clusterDir})`,
    );
    await applyMigrationsForDevelopment(config, embedded, logger);
    // The runtime connects as the auth service's own role, as in production: no DDL, no other service's tables.
    const role = config.roles.services.auth;
    runtimeUrl = embeddedUrl(embedded.port, role.password ?? embeddedRolePassword(embedded.password, role.name), EMBEDDED_DATABASE, role.name);
  }

  const dataSource = createRuntimeDataSource(runtimeUrl, config.db);
  try {
    await dataSource.initialize();
  } catch (err) {
    await embedded?.stop();
    throw err;
  }
  if (!embedded) {
    const warning = await runtimeRoleWarning(dataSource, config.roles.services.auth.name).catch(() => undefined);
    if (warning) logger.warn({ event: 'config_warning', variable: 'DATABASE_URL' }, warning);
  }
  const transport = createMailTransport(config.mail, config.embedded.dataDir, logger);
  const mailSender = startMailSender({ dataSource, transport, mail: config.mail, keys: outboxKeys(authKeys.tokenSecret, authKeys.previousTokenSecrets), logger });
  logger.info({ mail: transport.description }, `mail: ${transport.description}`);
  const lifecycle = createLifecycle();
  const metrics = createMetrics(dataSource, { apiPrefix: API_PREFIX });
  // Issue 29: the security-event sender (webhooks, Shared Signals push) and the events' retention.
  const events = startSecurityEvents({ dataSource, config, authKeys, logger, observer: metrics.eventsObserver });
  const reads = lagTolerantReads(dataSource, config.db, logger);
  const app = createApp({ config, dataSource, logger, authKeys, mailQueued: mailSender.nudge, lifecycle, metrics, reads });
  const stopPruning = schedulePruning(dataSource, logger);
  const stopEventPruning = scheduleEventPruning(dataSource, logger, { retentionDays: config.audit.retentionDays });
  // Issue 22 M9: link tokens and the mail outbox (retention in docs/operations.md).
  const { tokenRetentionSeconds, mailRetentionDays, pruneBatchSize, pruneIntervalMs } = config.accounts;
  const stopTokenPruning = schedulePrune(() => pruneAccountTokens(dataSource, { retentionSeconds: tokenRetentionSeconds, batchSize: pruneBatchSize }), logger, 'account_tokens', pruneIntervalMs);
  const stopOutboxPruning = schedulePrune(() => pruneMailOutbox(dataSource, { retentionDays: mailRetentionDays, batchSize: pruneBatchSize }), logger, 'mail_outbox', pruneIntervalMs);
  const stopOidcPruning = scheduleOidcPruning(dataSource, logger);
  const stopGuestPruning = scheduleGuestPruning(dataSource, logger, config.federation.guests.lifetimeSeconds);
  const stopDeveloperCredentialsPruning = scheduleDeveloperCredentialsPruning(dataSource, logger, config.developerCredentials.pats.retentionDays);
  for (const warning of libraryWarnings) logger.warn({ library: 'oidc-provider' }, warning);
  const server = app.listen(config.http.port, config.http.host);
  // Above the balancer's idle timeout, so that it closes idle sockets first and never sends on one we closed.
  server.keepAliveTimeout = config.http.keepAliveTimeoutMs;
  server.headersTimeout = config.http.keepAliveTimeoutMs + 1_000;
  if (server.requestTimeout > 0) server.requestTimeout = Math.max(server.requestTimeout, server.headersTimeout);
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  const { port } = server.address() as AddressInfo;
  const host = config.http.host === '0.0.0.0' || config.http.host === '::' ? 'localhost' : config.http.host;

  let closing: Promise<DrainResult> | undefined;
  const close = ({ delayMs = config.http.drainDelayMs }: { delayMs?: number } = {}) =>
    (closing ??= (async () => {
      const drained = await drainServer(server, lifecycle, { delayMs, timeoutMs: config.http.shutdownTimeoutMs });
      stopPruning();
      stopEventPruning();
      stopTokenPruning();
      stopOutboxPruning();
      stopOidcPruning();
      stopGuestPruning();
      stopDeveloperCredentialsPruning();
      await events.stop();
      await mailSender.stop();
      await reads.close();
      await dataSource.destroy();
      await embedded?.stop();
      return drained;
    })());

  return { url: `http://${host}:${port}`, database: maskUrl(runtimeUrl), server, dataSource, close };
}

/**
 * Brings the embedded development database to head through the migrator: the same migration
 * lock as `npm run migrate -- up` (two `npm start` at once apply each migration once), the same
 * checksum and history checks, and only the pending migration files are loaded.
 */
async function applyMigrationsForDevelopment(config: Config, embedded: EmbeddedPostgres, logger: Logger): Promise<void> {
  const dataSource = new MigrationDataSource(config, embedded.url, { loadMigrations: false, loadEntities: false, embeddedPassword: embedded.password });
  await dataSource.initialize();
  try {
    const result = await dataSource
      .migrator('npm start', (event) => {
        if (event.type === 'lock-wait') logger.info({ holder: event.holder }, event.message);
      })
      .up();
    if (result.error) throw result.error;
    const applied = result.results.map((r) => ({ name: r.name, ms: Math.round(r.durationMs) }));
    if (applied.length) logger.info({ migrations: applied }, 'applied migrations to the embedded database');
  } finally {
    await dataSource.destroy();
  }
}
