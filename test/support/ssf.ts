import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import request from 'supertest';
import {
  createJwksClient,
  createRevocationList,
  createSetVerifier,
  createVerifier,
  requireAuth,
  setPushHandler,
  startSetPoller,
  type Poller,
  type RevocationList,
  type SecurityEventToken,
} from '@cathouse/auth-client';
import { serviceClient } from '../auth/installations';
import type { TestApp } from './app';

/** Shared Signals test helpers (issue 29): the auth service on a real port, receivers' service clients, streams. */

export const SSF = '/api/v1/auth/ssf';

/** Listens on loopback (receivers fetch the JWKS and poll over real HTTP); returns its origin and a closer. */
export async function listen(app: express.Express | TestApp['app']): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A service client with ssf.manage and a fresh client-credentials token for it. */
export async function receiverClient(t: TestApp, clientId: string): Promise<{ clientId: string; clientSecret: string; token: () => Promise<string> }> {
  const { clientSecret } = await serviceClient(t.dataSource, clientId, ['ssf.manage']);
  const basic = `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}`;
  const token = async () => {
    const res = await request(t.app).post('/api/v1/auth/token').set('Authorization', basic).type('form').send({ grant_type: 'client_credentials' });
    if (res.status !== 200) throw new Error(`client_credentials answered ${res.status}: ${res.text}`);
    return res.body.access_token as string;
  };
  return { clientId, clientSecret, token };
}

/** Creates a stream; `delivery` undefined is poll. Returns the stream configuration. */
export async function createStream(t: TestApp, token: string, body: Record<string, unknown>): Promise<{ stream_id: string; delivery: { method: string; endpoint_url: string } } & Record<string, unknown>> {
  const res = await request(t.app).post(`${SSF}/stream`).set('Authorization', `Bearer ${token}`).send(body);
  if (res.status !== 201) throw new Error(`POST ssf/stream answered ${res.status}: ${res.text}`);
  return res.body;
}

export interface NodeReceiver {
  url: string;
  revocations: RevocationList;
  events: SecurityEventToken[];
  poller?: Poller;
  close(): Promise<void>;
}

/**
 * A downstream Node service built with @cathouse/auth-client as its README says: GET /whoami
 * behind requireAuth with a verifier that consults the deny-list, fed either by SETs pushed to
 * POST /ssf/events or, with `pollUrl`, by a poller.
 */
export async function startNodeReceiver(t: TestApp, auth: { url: string }, options: { audience: string; pollUrl?: string; token?: () => Promise<string> }): Promise<NodeReceiver> {
  const jwks = createJwksClient({ jwksUri: `${auth.url}/.well-known/jwks.json` });
  const revocations = createRevocationList({ tokenLifetimeSeconds: t.config.auth.accessTokenTtlSeconds });
  const verifier = createVerifier({ jwksUri: '', jwks, issuer: t.config.auth.issuer, audience: t.config.auth.audience, revocations });
  const setVerifier = createSetVerifier({ jwks, issuer: t.config.events.ssfIssuer, audience: options.audience, tokenIssuer: t.config.auth.issuer });
  const events: SecurityEventToken[] = [];
  const app = express();
  app.post('/ssf/events', setPushHandler({ verifier: setVerifier, revocations, onEvent: (set) => events.push(set) }));
  app.get('/whoami', requireAuth(verifier), (req, res) => {
    res.json(req.auth);
  });
  const server = await listen(app);
  const poller = options.pollUrl
    ? startSetPoller({ verifier: setVerifier, revocations, pollUrl: options.pollUrl, accessToken: options.token!, retryMs: 100, onEvent: (set) => events.push(set) })
    : undefined;
  return {
    url: server.url,
    revocations,
    events,
    ...(poller ? { poller } : {}),
    async close() {
      await poller?.stop();
      await server.close();
    },
  };
}

/** Polls `probe` until it is true; resolves with the milliseconds it took (rejects after `timeoutMs`). */
export async function until(probe: () => Promise<boolean>, timeoutMs = 15_000, stepMs = 10): Promise<number> {
  const start = Date.now();
  for (;;) {
    if (await probe()) return Date.now() - start;
    if (Date.now() - start > timeoutMs) throw new Error(`not true within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, stepMs));
  }
}
