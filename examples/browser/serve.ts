import 'reflect-metadata';
import { parseArgs } from 'node:util';
import { loadConfig } from '../../src/config/config';
import { createLogger } from '../../src/logging/logger';
import { startService } from '../../src/server';
import { buildAuthBrowser } from './build-package';
import { startExampleServer } from './example-server';

/**
 * `npm run example:browser [-- --mode=cookie] [--port=5173]`: builds @cathouse/auth-browser,
 * starts the auth service (as `npm start` does, embedded database included) with the example's
 * origin in CORS_ORIGINS, and serves the example app next to it.
 */
async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { mode: { type: 'string', default: 'bearer' }, port: { type: 'string', default: '5173' } },
  });
  const mode = values.mode;
  if (mode !== 'bearer' && mode !== 'cookie') throw new Error(`--mode must be bearer or cookie, not ${mode}`);
  const examplePort = Number(values.port);
  const exampleOrigin = `http://localhost:${examplePort}`;

  const env = { ...process.env };
  const config = loadConfig({
    ...env,
    CORS_ORIGINS: [env.CORS_ORIGINS, exampleOrigin].filter(Boolean).join(','),
    REFRESH_TOKEN_COOKIE: mode === 'cookie' ? 'true' : 'false',
  });
  const logger = createLogger(config.log.level);
  const packageDir = await buildAuthBrowser();
  const service = await startService(config, logger);
  const authOrigin = `http://localhost:${config.http.port}`;
  const example = await startExampleServer({
    authOrigin,
    mode,
    packageDir,
    issuer: config.auth.issuer,
    audience: config.auth.audience,
    port: examplePort,
    host: 'localhost',
  });
  logger.info({ api: authOrigin, mode }, `example app (${mode} mode): open ${example.url}`);

  const stop = () => {
    void Promise.all([example.close(), service.close()]).then(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((err: unknown) => {
  process.stderr.write(`example: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
