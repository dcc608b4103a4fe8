import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import express from 'express';
import { createVerifier, requireAuth } from '@cathouse/auth-client';

export interface ExampleServerOptions {
  /** The auth service's origin as the browser reaches it, e.g. http://localhost:3000. */
  authOrigin: string;
  mode: 'bearer' | 'cookie';
  /** The built @cathouse/auth-browser (its `dist`), served at /auth-browser/. */
  packageDir: string;
  /** JWT_ISSUER and JWT_AUDIENCE of the auth service. */
  issuer: string;
  audience: string;
  port?: number;
  host?: string;
}

export interface RunningExample {
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

/**
 * The example app's own origin: the static page, the built package, its settings, and a small
 * "cats" API of its own that, like every other Cat House service, only verifies access tokens
 * (with @cathouse/auth-client). It answers on every address of `host`, so the tests can reach it
 * as localhost (a listed origin) and as 127.0.0.1 (another site).
 */
export async function startExampleServer(options: ExampleServerOptions): Promise<RunningExample> {
  const app = express();
  app.disable('x-powered-by');
  const verifier = createVerifier({ jwksUri: `${options.authOrigin}/.well-known/jwks.json`, issuer: options.issuer, audience: options.audience });

  app.get('/config.json', (_req, res) => {
    res.json({ apiBase: `${options.authOrigin}/api/v1/auth`, mode: options.mode });
  });
  app.get('/api/cats', requireAuth(verifier), (req, res) => {
    const auth = (req as express.Request & { auth?: { sub: string; role: string } }).auth;
    res.set('cache-control', 'no-store').json({ for: auth?.sub, role: auth?.role, cats: ['Miso', 'Tofu', 'Mochi'] });
  });
  app.use('/auth-browser', express.static(options.packageDir));
  app.use(express.static(path.join(__dirname, 'public')));

  const server: Server = app.listen(options.port ?? 0, options.host ?? '127.0.0.1');
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://localhost:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
