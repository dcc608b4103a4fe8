import express, { type Express } from 'express';
import helmet from 'helmet';
import type { DataSource } from 'typeorm';
import type { Config } from '../config/config';
import type { Logger } from '../logging/logger';
import { errorHandler, notFoundHandler } from './middleware/error-handler';
import { requestLogging } from './middleware/request-logging';
import { healthRoutes } from './routes/health';

export const API_PREFIX = '/api/v1/auth';

export interface AppDeps {
  config: Config;
  dataSource: DataSource;
  logger: Logger;
}

/** Builds the Express app without listening, so tests drive it through supertest. */
export function createApp({ config, dataSource, logger }: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', parseTrustProxy(config.http.trustProxy));
  app.use(helmet());
  app.use(requestLogging(logger));
  app.use(express.json({ limit: config.http.jsonBodyLimit, type: ['application/json', 'application/*+json'] }));

  app.use(API_PREFIX, healthRoutes(dataSource));

  app.use(notFoundHandler);
  app.use(errorHandler);
  return app;
}

/** TRUST_PROXY: unset (trust nobody), a hop count, or a list of addresses/subnets (express syntax). */
function parseTrustProxy(value: string | undefined): boolean | number | string {
  if (value === undefined) return false;
  if (/^\d+$/.test(value)) return Number(value);
  if (value === 'true') return true;
  if (value === 'false') return false;
  return value;
}
