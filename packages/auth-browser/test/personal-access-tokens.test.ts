/**
 * Personal access tokens from the web frontend (`auth.account.listTokens / createToken /
 * revokeTokens`), against the real service on a real port: created once with its secret, listed
 * without it, revoked one by one or all, and refusals as AuthError codes.
 */
import { createAuthClient, memoryStorage, type AuthClient } from '../src/index.js';
import { RunningAuthService } from '../../../test/browser/support/auth-service.js';
import { createTestDatabase, type TestDatabase } from '../../../test/support/database.js';

const PASSWORD = 'correct horse battery staple';
const inDays = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString();

let db: TestDatabase;
let service: RunningAuthService;
let counter = 0;
const clients: AuthClient[] = [];

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

async function signedUp(): Promise<AuthClient> {
  const auth = createAuthClient({ baseUrl: service.apiBase, storage: memoryStorage(), crossTab: false });
  clients.push(auth);
  await auth.register({ email: `pat-${++counter}-${Date.now().toString(36)}@cathouse.example`, password: PASSWORD });
  return auth;
}

it('createToken answers the secret once; listTokens shows it without; revokeTokens(id) revokes one', async () => {
  const auth = await signedUp();
  const created = await auth.account.createToken({ name: 'Scripts', scopes: ['profile:read'], expires_at: inDays(30) });
  expect(created.token).toMatch(/^chp_[0-9A-Za-z]{36}$/);
  expect(created).toMatchObject({ name: 'Scripts', scopes: ['profile:read'], status: 'active', token_prefix: created.token.slice(0, 8) });

  const listed = await auth.account.listTokens();
  expect(listed).toHaveLength(1);
  expect(listed[0]).toMatchObject({ id: created.id, status: 'active' });
  expect(listed[0]).not.toHaveProperty('token');

  await expect(auth.account.revokeTokens(created.id)).resolves.toBeUndefined();
  expect((await auth.account.listTokens()).map((t) => t.status)).toEqual(['revoked']);
});

it('revokeTokens() revokes every live token and says how many', async () => {
  const auth = await signedUp();
  for (const name of ['a', 'b']) await auth.account.createToken({ name, scopes: ['profile:read'], expires_at: inDays(7) });
  await expect(auth.account.revokeTokens()).resolves.toEqual({ revoked: 2 });
  expect((await auth.account.listTokens()).map((t) => t.status)).toEqual(['revoked', 'revoked']);
});

it("refusals are AuthError codes: a player's publishing scope, no expiry", async () => {
  const auth = await signedUp();
  await expect(auth.account.createToken({ name: 'x', scopes: ['cats:publish'], expires_at: inDays(7) })).rejects.toMatchObject({ code: 'invalid_scope' });
  await expect(auth.account.createToken({ name: 'x', scopes: ['profile:read'], expires_at: inDays(-1) })).rejects.toMatchObject({ code: 'invalid_request' });
});
