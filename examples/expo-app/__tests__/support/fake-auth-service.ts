import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A stand-in for the Cat House auth service in the app's unit tests, strict where the real one
 * is: unknown fields are refused (400 invalid_request), refresh tokens rotate on every use and a
 * spent one ends the session (400 invalid_grant), access tokens expire. The browser run of this
 * app (test/expo-web) uses the real service.
 */
export interface FakeAuthService {
  url: string;
  /** Every request: method, path and Authorization header. */
  requests: Array<{ method: string; path: string; authorization?: string }>;
  /** The session's current (unspent) refresh token. */
  currentRefreshToken(email: string): string | undefined;
  /** The `expires_in` of the tokens issued from now on (default 900). */
  expiresInSeconds: number;
  /** Makes every access token issued so far expire (the next use is a 401). */
  expireAccessTokens(): void;
  /** Stops answering (connections refused), as when the device is offline; `start` brings it back on the same port. */
  stop(): Promise<void>;
  start(): Promise<void>;
}

interface User {
  id: string;
  email: string;
  password: string;
  display_name: string | null;
}

const token = () => randomBytes(16).toString('hex');

export async function startFakeAuthService(): Promise<FakeAuthService> {
  const users = new Map<string, User>();
  const access = new Map<string, { email: string; expired: boolean }>();
  const refresh = new Map<string, { email: string; spent: boolean; family: string }>();
  const revoked = new Set<string>();
  const requests: FakeAuthService['requests'] = [];

  const view = (u: User) => ({ id: u.id, email: u.email, role: 'player', display_name: u.display_name, email_verified: false, is_active: true, created_at: '2026-01-01T00:00:00.000Z' });
  const issue = (email: string, family = token()) => {
    const pair = { access_token: token(), token_type: 'Bearer', expires_in: api.expiresInSeconds, refresh_token: token() };
    access.set(pair.access_token, { email, expired: false });
    refresh.set(pair.refresh_token, { email, spent: false, family });
    return pair;
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const send = (status: number, body?: unknown) => {
      res.writeHead(status, { 'content-type': status >= 400 ? 'application/problem+json' : 'application/json' });
      res.end(body === undefined ? undefined : JSON.stringify(body));
    };
    const problem = (status: number, error: string) => send(status, { type: 'about:blank', title: error, status, error, detail: error });
    const path = req.url ?? '';
    requests.push({ method: req.method ?? '', path, authorization: req.headers.authorization });
    let raw = '';
    for await (const chunk of req) raw += chunk;
    const body = raw ? (JSON.parse(raw) as Record<string, unknown>) : {};
    const only = (...allowed: string[]) => Object.keys(body).every((k) => allowed.includes(k));
    const bearer = access.get((req.headers.authorization ?? '').replace(/^Bearer /, ''));
    const caller = bearer && !bearer.expired ? users.get(bearer.email) : undefined;

    if (req.method === 'POST' && path === '/api/v1/auth/register') {
      if (!only('email', 'password', 'display_name', 'role')) return problem(400, 'invalid_request');
      const email = String(body.email);
      if (users.has(email)) return problem(409, 'email_taken');
      const user = { id: token(), email, password: String(body.password), display_name: (body.display_name as string) ?? null };
      users.set(email, user);
      return send(201, { ...issue(email), user: view(user) });
    }
    if (req.method === 'POST' && path === '/api/v1/auth/login') {
      const user = users.get(String(body.email));
      if (!only('email', 'password') || !user || user.password !== body.password) return problem(401, 'invalid_credentials');
      return send(200, { ...issue(user.email), user: view(user) });
    }
    if (req.method === 'POST' && path === '/api/v1/auth/refresh') {
      if (!only('refresh_token')) return problem(400, 'invalid_request');
      const entry = refresh.get(String(body.refresh_token));
      if (!entry || revoked.has(entry.family)) return problem(400, 'invalid_grant');
      if (entry.spent) {
        revoked.add(entry.family); // reuse of a rotated token: the whole session ends
        return problem(400, 'invalid_grant');
      }
      entry.spent = true;
      return send(200, issue(entry.email, entry.family));
    }
    if (req.method === 'POST' && path === '/api/v1/auth/logout') {
      const entry = refresh.get(String(body.refresh_token));
      if (entry) revoked.add(entry.family);
      return send(204);
    }
    if (path === '/api/v1/auth/me') {
      if (!caller) return problem(401, 'invalid_token');
      if (req.method === 'PATCH') caller.display_name = (body.display_name as string | null) ?? null;
      return send(200, view(caller));
    }
    if (path.startsWith('/api/v1/catalog/')) {
      // Anonymous reads are allowed; writes need a user, as on the real catalog.
      if (req.method !== 'GET' && !caller) return problem(401, 'invalid_token');
      return send(200, { cats: ['Miso', 'Tofu'], for: caller?.email ?? null });
    }
    return problem(404, 'not_found');
  };

  let server: Server | undefined;
  let port = 0;
  const api: FakeAuthService = {
    url: '',
    requests,
    expiresInSeconds: 900,
    currentRefreshToken: (email) => [...refresh].find(([, e]) => e.email === email && !e.spent && !revoked.has(e.family))?.[0],
    expireAccessTokens: () => access.forEach((entry) => (entry.expired = true)),
    async start() {
      if (server?.listening) return;
      server = createServer((req, res) => void handle(req, res));
      await new Promise<void>((resolve) => server!.listen(port, '127.0.0.1', resolve));
      port = (server.address() as AddressInfo).port;
      api.url = `http://127.0.0.1:${port}`;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server?.close(() => resolve());
        server?.closeAllConnections();
      }),
  };
  await api.start();
  return api;
}
