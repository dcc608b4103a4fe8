import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import express from 'express';

export const APP_DIR = path.resolve(__dirname, '../../examples/expo-app');

/**
 * `npx expo export --platform web` of the example app with its API at `apiUrl` (EXPO_PUBLIC_API_URL
 * is written into the bundle). Offline: EXPO_OFFLINE skips Expo's version look-ups, so nothing but
 * loopback is reached. Returns the time it took.
 */
export async function exportWebApp(outDir: string, apiUrl: string): Promise<number> {
  const cli = path.join(APP_DIR, 'node_modules/expo/bin/cli');
  if (!existsSync(cli)) {
    throw new Error(`${cli} is missing: install the example app first (cd examples/expo-app && npm ci), as .ci/run does`);
  }
  const started = Date.now();
  await promisify(execFile)(process.execPath, [cli, 'export', '--platform', 'web', '--output-dir', outDir, '--clear'], {
    cwd: APP_DIR,
    env: { ...process.env, EXPO_PUBLIC_API_URL: apiUrl, EXPO_OFFLINE: '1', EXPO_NO_TELEMETRY: '1', CI: '1', NODE_ENV: 'production' },
    maxBuffer: 64 * 1024 * 1024,
  });
  return Date.now() - started;
}

/** The exported files on a port of their own, every unknown path answered with index.html (a single-page app). */
export async function serveStatic(dir: string, port: number): Promise<{ url: string; close(): Promise<void> }> {
  const app = express();
  app.use(express.static(dir));
  app.use((_req, res) => res.sendFile(path.join(dir, 'index.html')));
  const server: Server = app.listen(port, '127.0.0.1');
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  return {
    url: `http://localhost:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
