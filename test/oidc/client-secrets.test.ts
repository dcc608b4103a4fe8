import request from 'supertest';
import type { DataSource } from 'typeorm';
import { sealClientSecret } from '../../src/auth/oidc/client-secrets';
import { createRuntimeDataSource } from '../../src/db/runtime-data-source';
import { main as admin } from '../../src/cli/admin/main';
import { bearer } from '../auth/helpers';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { testConfig } from '../support/env';
import { catWithPlayer, registerClient, startOidcStack, type OidcStack } from './support';

/**
 * Issue 27: OpenID clients' secrets are stored as their SHA-256, never in clear. The secret shown at
 * registration (developer API or RFC 7591) authenticates at the provider's endpoints; what the
 * database holds does not, so a copy of auth.oidc_clients signs no cat in. Clients registered
 * before keep working with their clear secret until `admin oidc clients hash-secrets` hashes it.
 */
let db: TestDatabase;
let stack: OidcStack;
let fixtures: DataSource;
const REDIRECT = 'https://cat.example/callback';

beforeAll(async () => {
  db = await createTestDatabase();
  fixtures = createRuntimeDataSource(db.url, testConfig().db);
  await fixtures.initialize();
  stack = await startOidcStack(db.url);
});
afterAll(async () => {
  await stack?.close();
  await fixtures?.destroy();
  await db?.drop();
});

const storedSecret = async (clientId: string) =>
  ((await fixtures.query(`SELECT metadata->>'client_secret' AS s FROM auth.oidc_clients WHERE client_id = $1`, [clientId])) as { s: string | null }[])[0]?.s;

/** RFC 7662 introspection with client_secret_basic: 200 when the client authenticated, 401 invalid_client otherwise. */
const introspectAs = (clientId: string, secret: string) =>
  request(stack.t.app).post('/oidc/token/introspection').auth(clientId, secret).type('form').send({ token: 'not-a-token' });

it('a developer-registered client: stored hashed; the secret shown once authenticates, the stored value and a wrong one do not', async () => {
  const f = await catWithPlayer(stack, fixtures);
  const client = await registerClient(stack, f.developer.token, { cat_id: f.catId, client_name: 'Hashed Cat', redirect_uris: [REDIRECT] });
  const secret = client.client_secret!;
  const stored = (await storedSecret(client.client_id))!;
  expect(stored).toBe(sealClientSecret(secret));
  expect(stored).not.toContain(secret);
  expect(JSON.stringify(await fixtures.query(`SELECT metadata FROM auth.oidc_clients WHERE client_id = $1`, [client.client_id]))).not.toContain(secret);

  const ok = await introspectAs(client.client_id, secret);
  expect(ok.status).toBe(200);
  expect(ok.body).toEqual({ active: false });
  for (const wrong of [stored, `${secret}x`, secret.slice(0, -1)]) {
    const refused = await introspectAs(client.client_id, wrong);
    expect(refused.status).toBe(401);
    expect(refused.body.error).toBe('invalid_client');
  }
  // client_secret_post takes the same path.
  const post = await request(stack.t.app).post('/oidc/token/introspection').type('form').send({ token: 'x', client_id: client.client_id, client_secret: secret });
  expect(post.status).toBe(200);
});

it('a client registered through RFC 7591: the response carries the secret, the database its hash, and the secret authenticates', async () => {
  const f = await catWithPlayer(stack, fixtures);
  const iat = await request(stack.t.app).post('/api/v1/auth/oidc/initial-access-tokens').set(bearer(f.developer.token)).send({ cat_id: f.catId });
  expect(iat.status).toBe(201);
  const registered = await request(stack.t.app)
    .post('/oidc/reg')
    .set('authorization', `Bearer ${iat.body.initial_access_token}`)
    .send({ redirect_uris: [REDIRECT], client_name: 'Self-registered Cat' });
  expect(registered.status).toBe(201);
  const { client_id: clientId, client_secret: secret } = registered.body as { client_id: string; client_secret: string };
  expect(secret).toEqual(expect.any(String));
  expect(await storedSecret(clientId)).toBe(sealClientSecret(secret));
  expect((await introspectAs(clientId, secret)).status).toBe(200);
  expect((await introspectAs(clientId, sealClientSecret(secret))).status).toBe(401);
});

async function adminCommand(...argv: string[]) {
  const out: string[] = [];
  const code = await admin([...argv, '--json'], { out: (t) => out.push(t), err: () => undefined }, {
    NODE_ENV: 'test',
    DATABASE_URL: db.url,
    TOKEN_SECRET: 'test-secret-test-secret-test-secret-0123',
    OIDC_ISSUER: stack.issuer,
  });
  return { code, body: JSON.parse(out.join('') || '{}') as Record<string, unknown> };
}

it('a client from before hashing keeps working with its clear secret; hash-secrets hashes it once and it still works; public clients are left alone', async () => {
  const secret = 'legacy-secret-in-clear-0123456789abcdefghijkl';
  await fixtures.query(`INSERT INTO auth.oidc_clients (client_id, metadata) VALUES ('rs_legacy', $1), ('cat_public_legacy', $2)`, [
    JSON.stringify({ client_id: 'rs_legacy', client_secret: secret, redirect_uris: [], grant_types: [], response_types: [], token_endpoint_auth_method: 'client_secret_basic' }),
    JSON.stringify({ client_id: 'cat_public_legacy', redirect_uris: [REDIRECT], token_endpoint_auth_method: 'none' }),
  ]);
  expect((await introspectAs('rs_legacy', secret)).status).toBe(200);
  expect((await introspectAs('rs_legacy', `${secret}x`)).status).toBe(401);

  const first = await adminCommand('oidc', 'clients', 'hash-secrets');
  expect(first.code).toBe(0);
  expect(first.body.hashed).toBeGreaterThanOrEqual(1);
  expect(await storedSecret('rs_legacy')).toBe(sealClientSecret(secret));
  expect(await adminCommand('oidc', 'clients', 'hash-secrets')).toEqual({ code: 0, body: { hashed: 0 } });
  expect(await storedSecret('cat_public_legacy')).toBeNull();
  expect((await introspectAs('rs_legacy', secret)).status).toBe(200);
  expect((await introspectAs('rs_legacy', sealClientSecret(secret))).status).toBe(401);
});
