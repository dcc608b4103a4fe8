import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import express from 'express';
import { startTestApp, type TestApp } from '../support/app';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { APPLE_CLIENT_ID } from './apple-stand-in';
import { REDIRECT_CLIENT_ID, REDIRECT_CLIENT_SECRET, RedirectProvider } from './redirect-provider';
import { FRONTEND_PAGE } from './redirect-support';

export const TEAM_ID = 'TEAM4CATS1';
export const KEY_ID = 'KEY4CATS01';

/** A P-256 key pair as Apple makes it: the private key as a PKCS#8 PEM (Apple's AuthKey_<key id>.p8). */
export function appleKeyPair(): { privatePem: string; publicKey: KeyObject } {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return { privatePem: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string, publicKey };
}

export interface AppleRedirectTestbed {
  provider: RedirectProvider;
  app: TestApp;
  /** http://localhost:port: the service and the frontend page, another site than the provider's 127.0.0.1. */
  origin: string;
  frontend: string;
  /** A directory for key files of the configuration tests. */
  keyDir: string;
}

/**
 * The service with Sign in with Apple as a redirect provider, the stand-in checking its client
 * secret (apple-stand-in.ts). The browser reaches the service as http://localhost and the provider
 * as http://127.0.0.1: two sites, so Apple's form_post back to the callback is a cross-site POST,
 * as from appleid.apple.com. Providers: "apple" (the registered key and team), "apple-wrong-key"
 * (another P-256 key, same key id), "apple-wrong-team" (the right key, another team id), and
 * "acme", an ordinary provider by query.
 */
export function useAppleRedirectTestbed(): AppleRedirectTestbed {
  let db: TestDatabase | undefined;
  let server: Server | undefined;
  const bed: Partial<AppleRedirectTestbed> = {};
  beforeAll(async () => {
    bed.keyDir = await mkdtemp(path.join(tmpdir(), 'apple-keys-'));
    const registered = appleKeyPair();
    const keyFile = path.join(bed.keyDir, `AuthKey_${KEY_ID}.p8`);
    const otherKeyFile = path.join(bed.keyDir, 'AuthKey_other.p8');
    await writeFile(keyFile, registered.privatePem);
    await writeFile(otherKeyFile, appleKeyPair().privatePem);
    const outer = express();
    server = createServer(outer);
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    const origin = `http://localhost:${(server.address() as AddressInfo).port}`;
    const callback = `${origin}/api/v1/auth/redirect/callback`;
    bed.origin = origin;
    bed.frontend = `${origin}/frontend/done`;
    bed.provider = await RedirectProvider.start(callback, { apple: { redirectUri: callback, teamId: TEAM_ID, keyId: KEY_ID, publicKey: registered.publicKey } });
    const issuer = bed.provider.issuer;
    const apple = (name: string, teamId: string, file: string) => ({ name, issuer, client_id: APPLE_CLIENT_ID, apple_team_id: teamId, apple_key_id: KEY_ID, apple_private_key_file: file });
    db = await createTestDatabase();
    bed.app = await startTestApp(db.url, {
      WEB_SIGN_IN_PROVIDERS: JSON.stringify([
        apple('apple', TEAM_ID, keyFile),
        apple('apple-wrong-key', TEAM_ID, otherKeyFile),
        apple('apple-wrong-team', 'OTHERTEAM1', keyFile),
        { name: 'acme', issuer, client_id: REDIRECT_CLIENT_ID, client_secret: REDIRECT_CLIENT_SECRET },
      ]),
      WEB_SIGN_IN_CALLBACK_URL: callback,
      WEB_SIGN_IN_RETURN_URLS: bed.frontend,
      CORS_ORIGINS: origin,
    });
    outer.get('/frontend/done', (_req, res) => void res.type('html').send(FRONTEND_PAGE));
    outer.use(bed.app.app);
  });
  afterAll(async () => {
    server?.closeAllConnections();
    await new Promise((resolve) => server?.close(resolve));
    await bed.app?.close();
    await db?.drop();
    await bed.provider?.close();
    if (bed.keyDir) await rm(bed.keyDir, { recursive: true, force: true });
  });
  return bed as AppleRedirectTestbed;
}
