import axios from 'axios';
import { newEmail, PASSWORD, startApp, type AppModules } from '../support/app';
import type { FakeAuthService } from '../support/fake-auth-service';

let fake: FakeAuthService;
let app: AppModules;

beforeAll(async () => {
  ({ fake, app } = await startApp());
  await app.auth.ready();
});

afterAll(async () => {
  app.auth.close(); // its BroadcastChannel (Node has one) would keep jest alive
  await fake.stop();
});

beforeEach(() => {
  app.useOfflineStore.setState({ isOnline: true, pendingActions: [] });
});

afterEach(async () => {
  await fake.start().catch(() => undefined); // back online if a test stopped it
  await app.auth.logout();
});

const lastRequest = (path: string) => [...fake.requests].reverse().find((r) => r.path === path);

describe('api/client with attachAxios', () => {
  it('sends requests untouched while signed out (no Authorization header)', async () => {
    const res = await app.apiClient.get('/api/v1/catalog/cats');
    expect(res.data).toEqual({ cats: ['Miso', 'Tofu'], for: null });
    expect(lastRequest('/api/v1/catalog/cats')?.authorization).toBeUndefined();
  });

  it('adds the Bearer token once signed in', async () => {
    const email = newEmail();
    await app.authService.register({ email, password: PASSWORD });
    const res = await app.apiClient.get('/api/v1/catalog/cats');
    expect(res.data.for).toBe(email);
    expect(lastRequest('/api/v1/catalog/cats')?.authorization).toMatch(/^Bearer /);
  });

  it('skipAuth sends one request without the token', async () => {
    await app.authService.register({ email: newEmail(), password: PASSWORD });
    await app.apiClient.get('/api/v1/catalog/cats', { skipAuth: true } as object);
    expect(lastRequest('/api/v1/catalog/cats')?.authorization).toBeUndefined();
  });

  it('after a 401 refreshes once for concurrent requests and retries each', async () => {
    await app.authService.register({ email: newEmail(), password: PASSWORD });
    fake.expireAccessTokens();
    const before = fake.requests.filter((r) => r.path === '/api/v1/auth/refresh').length;
    const answers = await Promise.all([1, 2, 3].map(() => app.apiClient.get('/api/v1/auth/me')));
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200]);
    expect(fake.requests.filter((r) => r.path === '/api/v1/auth/refresh').length - before).toBe(1);
  });

  it('offline: the network error is an axios error without response, the app goes offline and queues the POST', async () => {
    await app.authService.register({ email: newEmail(), password: PASSWORD });
    await fake.stop();
    const error = await app.apiClient.post('/api/v1/catalog/cats', { name: 'Miso' }).catch((err: unknown) => err);
    expect(axios.isAxiosError(error)).toBe(true);
    expect((error as { response?: unknown }).response).toBeUndefined();
    expect(app.useOfflineStore.getState().isOnline).toBe(false);
    expect(app.useOfflineStore.getState().pendingActions).toMatchObject([{ type: 'create', resource: '/api/v1/catalog/cats' }]);
    expect(app.useAuthStore.getState().isAuthenticated).toBe(true);
  });

  it('offline when the token needs a refresh: an ERR_NETWORK axios error, the POST queued, the session kept', async () => {
    // A one-second token: the client refreshes it half a second before it expires, so the next request needs a refresh.
    fake.expiresInSeconds = 1;
    await app.authService.register({ email: newEmail(), password: PASSWORD });
    fake.expiresInSeconds = 900;
    await new Promise((resolve) => setTimeout(resolve, 600));
    await fake.stop();
    const error = await app.apiClient.delete('/api/v1/catalog/cats/1').catch((err: unknown) => err);
    expect(axios.isAxiosError(error)).toBe(true);
    expect(error).toMatchObject({ code: 'ERR_NETWORK', cause: { code: 'network_error' } });
    expect(app.useOfflineStore.getState()).toMatchObject({ isOnline: false, pendingActions: [{ type: 'delete', resource: '/api/v1/catalog/cats/1' }] });
    expect(app.useAuthStore.getState().isAuthenticated).toBe(true);
    await fake.start();
    await expect(app.apiClient.get('/api/v1/auth/me')).resolves.toMatchObject({ status: 200 });
  });
});
