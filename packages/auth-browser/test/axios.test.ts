/**
 * attachAxios with real axios, against the real service and, for the request headers, a small
 * loopback API that answers what it received. An app's own interceptors (the Cat House
 * frontend's offline queue) must keep working: signed-out requests go as they are, and a failure
 * to get a token rejects with an error axios itself would have made.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import axios, { type AxiosError } from 'axios';
import { attachAxios, createAuthClient, memoryStorage, type AuthClient } from '../src/index.js';
import { RunningAuthService } from '../../../test/browser/support/auth-service.js';
import { createTestDatabase, type TestDatabase } from '../../../test/support/database.js';

const PASSWORD = 'correct horse battery staple';
let db: TestDatabase;
let service: RunningAuthService;
let echo: Server;
let echoUrl: string;
let counter = 0;
const clients: AuthClient[] = [];

beforeAll(async () => {
  db = await createTestDatabase();
  // Two-second access tokens: a second after sign-in the client refreshes before each request.
  service = new RunningAuthService({ databaseUrl: db.url, accessTokenTtlSeconds: 2 });
  await service.start();
  // The app's own API: answers the Authorization header it got (401 when a route wants one and got none).
  echo = createServer((req, res) => {
    const authorization = req.headers.authorization ?? null;
    res.writeHead(req.url === '/private' && !authorization ? 401 : 200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ authorization }));
  });
  await new Promise<void>((resolve) => echo.listen(0, '127.0.0.1', resolve));
  echoUrl = `http://127.0.0.1:${(echo.address() as AddressInfo).port}`;
});

afterAll(async () => {
  for (const c of clients.splice(0)) c.close();
  await new Promise((resolve) => echo.close(resolve));
  await service?.close();
  await db?.drop();
});

function setUp(baseUrl = service.apiBase) {
  const auth = createAuthClient({ baseUrl, storage: memoryStorage(), crossTab: false });
  clients.push(auth);
  const api = axios.create({ baseURL: echoUrl });
  attachAxios(auth, api);
  // The frontend's offline interceptor, registered after attachAxios as docs/frontend.md says.
  const offline = { isOnline: true, queued: [] as string[] };
  api.interceptors.response.use(undefined, (error: AxiosError) => {
    if (!error.response) {
      offline.isOnline = false;
      if (error.config?.method !== 'get') offline.queued.push(`${error.config?.method} ${error.config?.url}`);
    }
    return Promise.reject(error);
  });
  return { auth, api, offline };
}

const register = (auth: AuthClient) => auth.register({ email: `axios-${++counter}-${Date.now().toString(36)}@cathouse.example`, password: PASSWORD });

describe('attachAxios', () => {
  it('signed out, sends requests as they are (no token, no error)', async () => {
    const { api } = setUp();
    await expect(api.get('/public')).resolves.toMatchObject({ data: { authorization: null } });
    // The API's own 401 reaches the app as axios's error, with its response.
    await expect(api.get('/private')).rejects.toMatchObject({ isAxiosError: true, response: { status: 401 } });
  });

  it('signed in, adds the Bearer token; skipAuth leaves one request without it', async () => {
    const { auth, api } = setUp();
    await register(auth);
    const token = await auth.getAccessToken();
    await expect(api.get('/private')).resolves.toMatchObject({ data: { authorization: `Bearer ${token}` } });
    await expect(api.get('/public', { skipAuth: true } as object)).resolves.toMatchObject({ data: { authorization: null } });
  });

  it('a refresh that cannot reach the service rejects like an axios network error; the offline interceptor queues the request; the session stays', async () => {
    const { auth, api, offline } = setUp();
    await register(auth);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    await service.stop();
    try {
      const failed = await api.post('/private', { name: 'Tofu' }).catch((err: unknown) => err);
      expect(axios.isAxiosError(failed)).toBe(true);
      expect(failed).toMatchObject({ code: 'ERR_NETWORK', message: 'Network Error', config: { url: '/private' }, cause: { code: 'network_error' } });
      expect((failed as AxiosError).response).toBeUndefined();
      expect(offline).toEqual({ isOnline: false, queued: ['post /private'] });
      expect(auth.getSnapshot().status).toBe('signedIn');
    } finally {
      await service.start();
    }
  });

  it('an error answer of the auth service while refreshing rejects with its status and code in response', async () => {
    // A stand-in auth service that signs in and then answers every refresh with 503 database_unavailable.
    const down = createServer((req, res) => {
      const body = req.url?.endsWith('/login')
        ? [200, { access_token: 'a.b.c', token_type: 'Bearer', expires_in: 1, refresh_token: 'r1', user: { id: 'u1', email: 'mia@cathouse.example', role: 'player', display_name: null, email_verified: false, is_active: true, created_at: '2026-01-01T00:00:00.000Z' } }]
        : [503, { type: 'about:blank', title: 'Service Unavailable', status: 503, error: 'database_unavailable', detail: 'The database is not answering.' }];
      res.writeHead(body[0] as number, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body[1]));
    });
    await new Promise<void>((resolve) => down.listen(0, '127.0.0.1', resolve));
    try {
      const { auth, api, offline } = setUp(`http://127.0.0.1:${(down.address() as AddressInfo).port}`);
      await auth.login('mia@cathouse.example', PASSWORD);
      await new Promise((resolve) => setTimeout(resolve, 600)); // within half of the 1 s lifetime: due for a refresh
      const failed = (await api.get('/private').catch((err: unknown) => err)) as AxiosError<{ error: string }>;
      expect(axios.isAxiosError(failed)).toBe(true);
      expect(failed).toMatchObject({ code: 'ERR_BAD_RESPONSE', status: 503, response: { status: 503, data: { error: 'database_unavailable' } } });
      expect(offline.isOnline).toBe(true);
      expect(auth.getSnapshot().status).toBe('signedIn');
    } finally {
      await new Promise((resolve) => down.close(resolve));
    }
  });

  it('when the service ended the session, the retry finds no session: the API 401 comes back as is and the client is signed out', async () => {
    const { auth } = setUp();
    await register(auth);
    const revoked = await auth.getAccessToken();
    // End the session at the service behind the client's back (another device's "log out everywhere").
    await axios.post(`${service.apiBase}/logout`, { scope: 'global' }, { headers: { authorization: `Bearer ${revoked}` } });
    const echoing401 = axios.create({ baseURL: service.apiBase });
    attachAxios(auth, echoing401);
    const error = (await echoing401.get('/me').catch((err: unknown) => err)) as AxiosError;
    expect(error.response?.status).toBe(401);
    expect(auth.getSnapshot()).toMatchObject({ status: 'signedOut', reason: 'session_ended' });
  });
});
