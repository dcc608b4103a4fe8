import 'reflect-metadata';
import { ConfigError, loadConfig, type Config } from './config/config';
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
  const logger = createLogger(config.log.level);
  const started = Date.now();
  const service = await startService(config, logger).catch((err: unknown) => {
    if (err instanceof ConfigError) {
      // Found while loading keys: the same one line and exit code as a bad variable.
      process.stderr.write(`configuration error: ${err.message}\n`);
      process.exit(2);
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

  let signals = 0;
  const shutdown = (signal: NodeJS.Signals) => {
    if (++signals > 1) process.exit(1); // a second Ctrl-C does not wait
    logger.info({ signal }, 'shutting down: finishing in-flight requests');
    const timer = setTimeout(() => {
      logger.error('shutdown timed out; exiting');
      process.exit(1);
    }, config.http.shutdownTimeoutMs);
    timer.unref();
    service.close().then(
      () => {
        logger.info('stopped');
        process.exit(0);
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
