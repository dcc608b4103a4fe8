import type { Express } from 'express';
import type { DataSource } from 'typeorm';
import type { Config } from '../../src/config/config';
import { createRuntimeDataSource } from '../../src/db/runtime-data-source';
import { createApp } from '../../src/http/app';
import { createLogger } from '../../src/logging/logger';
import { testConfig } from './env';

export interface TestApp {
  readonly app: Express;
  readonly config: Config;
  readonly dataSource: DataSource;
  close(): Promise<void>;
}

/** The real app over a real runtime DataSource on `databaseUrl`, for supertest. */
export async function startTestApp(databaseUrl: string, env: Record<string, string | undefined> = {}): Promise<TestApp> {
  const config = testConfig({ DATABASE_URL: databaseUrl, ...env });
  const dataSource = createRuntimeDataSource(databaseUrl, config.db);
  await dataSource.initialize();
  const app = createApp({ config, dataSource, logger: createLogger(config.log.level) });
  return { app, config, dataSource, close: () => dataSource.destroy() };
}
