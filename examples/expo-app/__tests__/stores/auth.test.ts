import { LEGACY_AUTH_KEY } from '../../stores/legacy-auth-storage';
import { newEmail, PASSWORD, startApp, type AppModules } from '../support/app';
import type { FakeAuthService } from '../support/fake-auth-service';

let fake: FakeAuthService;
let app: AppModules;
let relaunch: () => AppModules;

beforeAll(async () => {
  // What the old persisted store left behind: it must be gone after the first launch.
  localStorage.setItem(LEGACY_AUTH_KEY, JSON.stringify({ state: { token: 'old', refreshToken: null }, version: 0 }));
  ({ fake, app, relaunch } = await startApp());
});

afterAll(async () => {
  app.auth.close(); // its BroadcastChannel (Node has one) would keep jest alive
  await fake.stop();
});

afterEach(async () => {
  await app.auth.logout();
});

describe('the auth store mirrors @cathouse/auth-browser', () => {
  it('removes the old auth-storage key at launch', async () => {
    await app.auth.ready();
    expect(localStorage.getItem(LEGACY_AUTH_KEY)).toBeNull();
  });

  it('starts signed out once the stored session was read', async () => {
    await app.auth.ready();
    expect(app.useAuthStore.getState()).toMatchObject({ status: 'signedOut', isAuthenticated: false, user: null });
  });

  it("register sends the app's name as display_name and the store shows the user", async () => {
    const email = newEmail();
    await app.authService.register({ email, password: PASSWORD, name: 'Mia' });
    expect(app.useAuthStore.getState()).toMatchObject({ status: 'signedIn', isAuthenticated: true, user: { email, name: 'Mia', emailVerified: false } });
  });

  it('login through the store fills it; logout empties it and says why', async () => {
    const email = newEmail();
    await app.authService.register({ email, password: PASSWORD });
    await app.auth.logout();
    await app.useAuthStore.getState().login(email, PASSWORD);
    expect(app.useAuthStore.getState().user?.email).toBe(email);
    await app.useAuthStore.getState().logout();
    expect(app.useAuthStore.getState()).toMatchObject({ isAuthenticated: false, user: null, signOutReason: 'logout' });
  });

  it('a wrong password rejects with the API code and leaves the store signed out', async () => {
    const email = newEmail();
    await app.authService.register({ email, password: PASSWORD });
    await app.auth.logout();
    await expect(app.authService.login({ email, password: 'not it' })).rejects.toMatchObject({ code: 'invalid_credentials' });
    expect(app.useAuthStore.getState().isAuthenticated).toBe(false);
  });

  it('stores the rotated refresh token after every refresh, so the second refresh still works', async () => {
    const email = newEmail();
    await app.authService.register({ email, password: PASSWORD });
    for (let i = 0; i < 3; i++) {
      fake.expireAccessTokens();
      await expect(app.apiClient.get('/api/v1/auth/me')).resolves.toMatchObject({ status: 200 });
      const stored = JSON.parse(localStorage.getItem('cathouse.auth')!) as { session: { refreshToken: string } };
      expect(stored.session.refreshToken).toBe(fake.currentRefreshToken(email));
    }
    expect(app.useAuthStore.getState().isAuthenticated).toBe(true);
  });

  it('a relaunch resumes the session from storage without a request', async () => {
    const email = newEmail();
    await app.authService.register({ email, password: PASSWORD, name: 'Tofu' });
    const before = fake.requests.length;
    const next = relaunch();
    await next.auth.ready();
    expect(next.useAuthStore.getState()).toMatchObject({ status: 'signedIn', user: { email, name: 'Tofu' } });
    expect(fake.requests.length).toBe(before);
    next.auth.close();
  });

  it('a profile change shows in the store', async () => {
    await app.authService.register({ email: newEmail(), password: PASSWORD });
    await app.authService.account.updateProfile({ name: 'Mochi' });
    expect(app.useAuthStore.getState().user?.name).toBe('Mochi');
  });
});
