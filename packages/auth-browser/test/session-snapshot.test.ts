/**
 * What React screens and zustand stores read: the synchronous snapshot, `subscribe`, the
 * `initialSession` event and `useSession()` (rendered by react-test-renderer), against the real
 * service. A token refresh changes nothing a screen shows, so it re-renders nothing.
 */
import { createElement } from 'react';
import { act, create, type ReactTestRenderer } from 'react-test-renderer';
import { createAuthClient, memoryStorage, type AuthClient, type SessionSnapshot, type SessionStorage, type SignInMethod, type TokenResponse } from '../src/index.js';
import { useSession } from '../src/react.js';
import { RunningAuthService } from '../../../test/browser/support/auth-service.js';
import { createTestDatabase, type TestDatabase } from '../../../test/support/database.js';

const PASSWORD = 'correct horse battery staple';
let db: TestDatabase;
let service: RunningAuthService;
let counter = 0;
const clients: AuthClient[] = [];

// React's act() environment flag, so state updates outside events are flushed without warnings.
(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

beforeAll(async () => {
  db = await createTestDatabase();
  service = new RunningAuthService({ databaseUrl: db.url });
  await service.start();
});

afterAll(async () => {
  for (const client of clients.splice(0)) client.close();
  await service?.close();
  await db?.drop();
});

function client(storage: SessionStorage = memoryStorage()): AuthClient {
  const auth = createAuthClient({ baseUrl: service.apiBase, storage, crossTab: false });
  clients.push(auth);
  return auth;
}

const newEmail = () => `snapshot-${++counter}-${Date.now().toString(36)}@cathouse.example`;

describe('the session snapshot', () => {
  it('is loading until the stored session is read, then signed out; initialSession fires once, late listeners too', async () => {
    const auth = client();
    expect(auth.getSnapshot()).toEqual({ status: 'loading', user: null, reason: null });
    const early: unknown[] = [];
    auth.on('initialSession', (e) => early.push(e));
    await expect(auth.ready()).resolves.toEqual({ status: 'signedOut', user: null, reason: null });
    const late = await new Promise((resolve) => auth.on('initialSession', resolve));
    expect(early).toEqual([{ user: null }]);
    expect(late).toEqual({ user: null });
  });

  it('a client on the same storage (a relaunch) starts signed in with the user, without a request', async () => {
    const storage = memoryStorage();
    const email = newEmail();
    await client(storage).register({ email, password: PASSWORD, display_name: 'Mia' });
    const relaunched = client(storage);
    const snapshot = await relaunched.ready();
    expect(snapshot).toMatchObject({ status: 'signedIn', user: { email, display_name: 'Mia' }, reason: null });
  });

  it('keeps the same object across a token refresh, and changes it on sign-in, user change and sign-out', async () => {
    const auth = client();
    await auth.ready();
    const seen: SessionSnapshot[] = [];
    auth.subscribe((s) => seen.push(s));
    const email = newEmail();
    await auth.register({ email, password: PASSWORD });
    const signedIn = auth.getSnapshot();
    await auth.getAccessToken({ rejectedToken: await auth.getAccessToken() }); // a refresh
    expect(auth.getSnapshot()).toBe(signedIn);
    await auth.account.updateProfile({ display_name: 'Tofu' });
    await auth.logout();
    expect(seen.map((s) => [s.status, s.user?.display_name ?? null, s.reason])).toEqual([
      ['signedIn', null, null],
      ['signedIn', 'Tofu', null],
      ['signedOut', null, 'logout'],
    ]);
  });
});

describe('signIn(method): a sign-in method is one function', () => {
  it("a method of the app's own (the OAuth password grant, whose answer has no user) signs in and loads the user", async () => {
    const email = newEmail();
    await client().register({ email, password: PASSWORD, display_name: 'Mia' });
    const withTokenGrant =
      (username: string, password: string): SignInMethod =>
      (api) =>
        api.call<TokenResponse>('POST', '/token', { body: { grant_type: 'password', username, password } });
    const auth = client();
    await expect(auth.signIn(withTokenGrant(email, PASSWORD))).resolves.toMatchObject({ email, display_name: 'Mia' });
    expect(auth.getSnapshot()).toMatchObject({ status: 'signedIn', user: { email } });
    await expect(auth.signIn(withTokenGrant(email, 'wrong'))).rejects.toMatchObject({ code: 'invalid_grant' });
  });
});

describe('useSession()', () => {
  function Status({ auth, renders }: { auth: AuthClient; renders: string[] }) {
    const { status, user } = useSession(auth);
    const text = `${status}:${user?.email ?? '-'}`;
    renders.push(text);
    return createElement('span', null, text);
  }

  it('renders the session, re-renders on sign-in and sign-out, and not on a token refresh', async () => {
    const auth = client();
    const renders: string[] = [];
    let tree!: ReactTestRenderer;
    await act(async () => {
      tree = create(createElement(Status, { auth, renders }));
    });
    const email = newEmail();
    await act(async () => {
      await auth.ready();
    });
    await act(async () => {
      await auth.register({ email, password: PASSWORD });
    });
    expect(tree.toJSON()).toMatchObject({ children: [`signedIn:${email}`] });
    const before = renders.length;
    await act(async () => {
      await auth.getAccessToken({ rejectedToken: await auth.getAccessToken() });
    });
    expect(renders.length).toBe(before);
    await act(async () => {
      await auth.logout();
    });
    expect(tree.toJSON()).toMatchObject({ children: ['signedOut:-'] });
    expect([...new Set(renders)]).toEqual(['loading:-', 'signedOut:-', `signedIn:${email}`]);
    tree.unmount();
  });
});
