import 'reflect-metadata';
import { ConfigError, loadConfig, type Config } from './config/config';
import { configWarnings } from './config/start-warnings';
import { describeStartError } from './db/start-checks';
import { createLogger } from './logging/logger';
import { startService } from './server';

/** Entry point of `npm start`: configuration errors are one line on stderr and exit code 2. */
async function main(): Promise<void> {
  let config: Config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`configuration error: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  // JSON lines for collectors; readable ones in a developer's terminal (never in production).
  const logger = createLogger(config.log.level, undefined, { pretty: process.stdout.isTTY === true && config.env !== 'production' });
  for (const warning of configWarnings(config, process.env)) logger.warn({ event: 'config_warning', variable: warning.variable }, warning.message);
  const started = Date.now();
  const service = await startService(config, logger).catch((err: unknown) => {
    if (err instanceof ConfigError) {
      // Found while loading keys: the same one line and exit code as a bad variable.
      process.stderr.write(`configuration error: ${err.message}\n`);
      process.exit(2);
    }
    const described = describeStartError(err);
    if (described) {
      // The database could not be reached: one line naming DATABASE_URL and the fix, no stack.
      process.stderr.write(`${described.configuration ? 'configuration error' : 'could not start'}: ${described.line}\n`);
      process.exit(described.configuration ? 2 : 1);
    }
    const message = err instanceof Error ? err.message : String(err);
    logger.fatal({ err }, 'could not start');
    process.stderr.write(`could not start: ${message}\n`);
    process.exit(1);
  });
  logger.info(
    { url: service.url, database: service.database, ms: Date.now() - started },
    `listening on ${service.url} (database ${service.database})`,
  );

  let firstSignalAt: number | undefined;
  const shutdown = (signal: NodeJS.Signals) => {
    if (firstSignalAt !== undefined) {
      // Ctrl-C in a terminal signals the whole group, and npm passes the same signal on to its
      // child too: that echo arrives within milliseconds. A second Ctrl-C by hand does not wait.
      if (Date.now() - firstSignalAt > 500) process.exit(1);
      return;
    }
    firstSignalAt = Date.now();
    // SIGTERM comes from an orchestrator, whose balancer needs the drain delay to see /ready fail;
    // Ctrl-C comes from a developer, who has no balancer to wait for.
    const delayMs = signal === 'SIGINT' ? 0 : config.http.drainDelayMs;
    logger.info({ signal, drain_delay_ms: delayMs }, 'shutting down: /ready answers 503, finishing in-flight requests');
    // A last resort beyond the drain's own deadline (pool and mail sender included).
    const timer = setTimeout(() => {
      logger.error('shutdown timed out; exiting');
      process.exit(1);
    }, delayMs + config.http.shutdownTimeoutMs + 5_000);
    timer.unref();
    service.close({ delayMs }).then(
      (drained) => {
        const fields = { drain_ms: drained.ms, clean: drained.clean, abandoned_requests: drained.abandoned };
        if (drained.clean) logger.info(fields, 'stopped');
        else logger.error(fields, `stopped: ${drained.abandoned} request(s) still in flight after SHUTDOWN_TIMEOUT_MS were cut off`);
        process.exit(drained.clean ? 0 : 1);
      },
      (err: unknown) => {
        logger.error({ err }, 'error during shutdown');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
}

void main();
