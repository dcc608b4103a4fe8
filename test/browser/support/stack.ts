import { startExampleServer, type RunningExample } from '../../../examples/browser/example-server';
import { createTestDatabase, type TestDatabase } from '../../support/database';
import { findFreePort } from '../../support/ports';
import { RunningAuthService } from './auth-service';

export interface Stack {
  service: RunningAuthService;
  example: RunningExample;
  close(): Promise<void>;
}

/**
 * The auth service on one localhost port and the example app on another (two origins), on a
 * database of their own. The example's origin is the service's only CORS origin.
 */
export async function startStack({
  mode,
  packageDir,
  accessTokenTtlSeconds,
  env = {},
}: {
  mode: 'bearer' | 'cookie';
  /** The built package (buildPackageForTest). */
  packageDir: string;
  accessTokenTtlSeconds?: number;
  env?: Record<string, string>;
}): Promise<Stack> {
  const db: TestDatabase = await createTestDatabase();
  const [authPort, examplePort] = [await findFreePort(), await findFreePort()];
  const service = new RunningAuthService({
    databaseUrl: db.url,
    port: authPort,
    accessTokenTtlSeconds,
    env: { CORS_ORIGINS: `http://localhost:${examplePort}`, REFRESH_TOKEN_COOKIE: String(mode === 'cookie'), ...env },
  });
  await service.start();
  const example = await startExampleServer({
    authOrigin: service.origin,
    mode,
    packageDir,
    issuer: service.config.auth.issuer,
    audience: service.config.auth.audience,
    port: examplePort,
  });
  return {
    service,
    example,
    async close() {
      await example.close();
      await service.close();
      await db.drop();
    },
  };
}
