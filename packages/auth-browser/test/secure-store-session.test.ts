/**
 * The mobile case: the package under Node (no window, no Web Locks, no localStorage) with an
 * asynchronous key-value store shaped like Expo SecureStore, against the real service on a real
 * port, with REFRESH_REUSE_INTERVAL_SECONDS=0 so that any reuse of a rotated token shows.
 */
import axios from 'axios';
import { AuthError, createAuthClient, attachAxios, secureStoreAdapter, type AuthClient, type AuthEvents, type SecureStoreLike } from '../src/index.js';
import { generateSigningKeyPem } from '../../../src/auth/tokens/signing-keys.js';
import { RunningAuthService, sessionIdOf } from '../../../test/browser/support/auth-service.js';
import { createTestDatabase, type TestDatabase } from '../../../test/support/database.js';

const PASSWORD = 'correct horse battery staple';
const KEY = 'cathouse.auth';

/** Stands in for the device keychain: async, and as strict about keys as expo-secure-store is. */
class DeviceKeychain implements SecureStoreLike {
  readonly items = new Map<string, string>();
  private check(key: string) {
    if (!/^[\w.-]+$/.test(key)) throw new Error(`Invalid key provided to SecureStore: ${key}`);
  }
  async getItemAsync(key: string) {
    this.check(key);
    return this.items.get(key) ?? null;
  }
  async setItemAsync(key: string, value: string) {
    this.check(key);
    this.items.set(key, value);
  }
  async deleteItemAsync(key: string) {
    this.check(key);
    this.items.delete(key);
  }
  /** What the app stored: the session record's tokens. */
  stored(): { refreshToken?: string; accessToken?: string } | null {
    const raw = this.items.get(KEY);
    return raw ? (JSON.parse(raw) as { session: { refreshToken?: string; accessToken?: string } | null }).session : null;
  }
}

let db: TestDatabase;
let service: RunningAuthService;
let counter = 0;
const clients: AuthClient[] = [];

beforeAll(async () => {
  db = await createTestDatabase();
  service = new RunningAuthService({ databaseUrl: db.url, env: { REFRESH_REUSE_INTERVAL_SECONDS: '0' } });
  await service.start();
});

afterAll(async () => {
  await service?.close();
  await db?.drop();
});

afterEach(() => {
  for (const client of clients.splice(0)) client.close();
});

function newClient(keychain: DeviceKeychain): AuthClient {
  const client = createAuthClient({ baseUrl: service.apiBase, storage: secureStoreAdapter(keychain) });
  clients.push(client);
  return client;
}

function record(client: AuthClient) {
  const events: Array<{ type: keyof AuthEvents; event: unknown }> = [];
  for (const type of ['signedIn', 'tokenRefreshed', 'signedOut'] as const) client.on(type, (event) => events.push({ type, event }));
  return events;
}

async function signedInClient() {
  const keychain = new DeviceKeychain();
  const client = newClient(keychain);
  const email = `mobile-${++counter}-${Date.now().toString(36)}@cathouse.example`;
  await client.register({ email, password: PASSWORD });
  const token = await client.getAccessToken();
  return { keychain, client, email, token, sessionId: sessionIdOf(token) };
}

/** A refresh now, whatever the token's age: what a 401 for `token` asks for. */
const forceRefresh = (client: AuthClient, token: string) => client.getAccessToken({ rejectedToken: token });

describe('@cathouse/auth-browser under Node with a SecureStore-shaped store (the mobile app)', () => {
  it('runs without browser APIs: an in-process lock and no channel', () => {
    const client = newClient(new DeviceKeychain());
    expect(client.coordination).toEqual({ lock: expect.stringMatching(/^(in-process|web-locks)$/), channel: expect.stringMatching(/^(none|broadcast-channel)$/), journal: false });
  });

  it('stores the rotated refresh token after every refresh; the old one is worthless', async () => {
    const { keychain, client, token, sessionId } = await signedInClient();
    const first = keychain.stored()!.refreshToken!;
    await forceRefresh(client, token);
    const second = keychain.stored()!.refreshToken!;
    expect(second).not.toBe(first);
    expect(await service.refreshTokenCounts(sessionId)).toEqual({ live: 1, total: 2, revoked: false });
  });

  it('a client that keeps the old refresh token (the current Cat House frontend) loses the session at its second refresh', async () => {
    const { keychain, client, token, sessionId } = await signedInClient();
    const original = keychain.stored()!.refreshToken!;
    await forceRefresh(client, token);
    // What "update token without affecting refresh token" does: the next refresh presents the original token.
    const res = await fetch(`${service.apiBase}/refresh`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ refresh_token: original }),
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: string }).error).toBe('invalid_grant');
    // Reuse is taken for theft: the whole session is revoked, the rotated token included.
    expect((await service.refreshTokenCounts(sessionId)).revoked).toBe(true);
  });

  it('an app relaunch restores the session from the keychain and keeps refreshing with the stored token', async () => {
    const { keychain, client, token, sessionId } = await signedInClient();
    await forceRefresh(client, token);
    client.close();

    const relaunched = newClient(keychain);
    expect((await relaunched.getUser())?.email).toMatch(/^mobile-/);
    const restored = await relaunched.getAccessToken();
    const refreshed = await forceRefresh(relaunched, restored);
    expect(sessionIdOf(refreshed)).toBe(sessionId);
    const me = await relaunched.fetch(`${service.apiBase}/me`);
    expect(me.status).toBe(200);
    expect(await service.refreshTokenCounts(sessionId)).toEqual({ live: 1, total: 3, revoked: false });
  });

  it('ten concurrent callers after a 401 share one refresh', async () => {
    const { client, token, sessionId } = await signedInClient();
    const tokens = await Promise.all(Array.from({ length: 10 }, () => forceRefresh(client, token)));
    expect(new Set(tokens).size).toBe(1);
    expect(tokens[0]).not.toBe(token);
    expect(await service.refreshTokenCounts(sessionId)).toEqual({ live: 1, total: 2, revoked: false });
  });

  it('invalid_grant ends the session: signedOut with reason session_ended, tokens gone from the keychain, signed_out after', async () => {
    const { keychain, client, token } = await signedInClient();
    const events = record(client);
    // The session ends elsewhere (say, "log out everywhere" on another device).
    await fetch(`${service.apiBase}/logout`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });

    await expect(forceRefresh(client, token)).rejects.toMatchObject({ name: 'AuthError', code: 'signed_out' });
    expect(events).toEqual([{ type: 'signedOut', event: { reason: 'session_ended', fromOtherTab: false } }]);
    expect(keychain.stored()).toBeNull();
    await expect(client.getAccessToken()).rejects.toMatchObject({ code: 'signed_out' });
  });

  it('a network failure keeps the session: network_error, no event, and the next try refreshes', async () => {
    const { keychain, client, token, sessionId } = await signedInClient();
    const events = record(client);
    const stored = keychain.stored()!.refreshToken;
    await service.stop();
    try {
      const failure = await forceRefresh(client, token).catch((err: unknown) => err);
      expect(failure).toBeInstanceOf(AuthError);
      expect((failure as AuthError).code).toBe('network_error');
      expect(keychain.stored()!.refreshToken).toBe(stored);
    } finally {
      await service.start();
    }
    expect(events).toEqual([]);
    await forceRefresh(client, token);
    expect(events.map((e) => e.type)).toEqual(['tokenRefreshed']);
    expect(await service.refreshTokenCounts(sessionId)).toEqual({ live: 1, total: 2, revoked: false });
  });

  it('logout revokes the session at the service and clears the keychain', async () => {
    const { keychain, client, sessionId } = await signedInClient();
    const events = record(client);
    expect(await client.logout()).toEqual({ revoked: true });
    expect(events).toEqual([{ type: 'signedOut', event: { reason: 'logout', fromOtherTab: false } }]);
    expect(keychain.stored()).toBeNull();
    expect((await service.refreshTokenCounts(sessionId)).revoked).toBe(true);
  });

  it('bearer mode against a cookie-mode service says so (mode_mismatch) instead of failing at the first refresh', async () => {
    const cookieService = new RunningAuthService({ databaseUrl: db.url, env: { REFRESH_TOKEN_COOKIE: 'true' } });
    await cookieService.start();
    try {
      const client = createAuthClient({ baseUrl: cookieService.apiBase, storage: secureStoreAdapter(new DeviceKeychain()) });
      clients.push(client);
      const email = `mismatch-${Date.now().toString(36)}@cathouse.example`;
      await expect(client.register({ email, password: PASSWORD })).rejects.toMatchObject({ code: 'mode_mismatch' });
    } finally {
      await cookieService.close();
    }
  });

  describe('after the service changed its signing key, every old access token gets 401', () => {
    afterEach(async () => {
      await service.stop();
      await service.start();
    });

    it('the fetch wrapper refreshes once and retries once', async () => {
      const { client, sessionId } = await signedInClient();
      await service.stop();
      await service.start({ signingKey: generateSigningKeyPem() });
      const res = await client.fetch(`${service.apiBase}/me`);
      expect(res.status).toBe(200);
      expect(await service.refreshTokenCounts(sessionId)).toEqual({ live: 1, total: 2, revoked: false });
    });

    it('the axios interceptor does the same, and parallel requests share the refresh', async () => {
      const { client, email, sessionId } = await signedInClient();
      const api = axios.create({ baseURL: service.apiBase });
      attachAxios(client, api);
      await service.stop();
      await service.start({ signingKey: generateSigningKeyPem() });
      const answers = await Promise.all([api.get('/me'), api.get('/me'), api.get('/me')]);
      expect(answers.map((a) => [a.status, a.data.email])).toEqual([
        [200, email],
        [200, email],
        [200, email],
      ]);
      expect(await service.refreshTokenCounts(sessionId)).toEqual({ live: 1, total: 2, revoked: false });
    });
  });
});
