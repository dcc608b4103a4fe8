import type * as OpenIdClient from 'openid-client' with { 'resolution-mode': 'import' };
import request from 'supertest';
import type { DataSource } from 'typeorm';
import { main as admin } from '../../src/cli/admin/main';
import { createRuntimeDataSource } from '../../src/db/runtime-data-source';
import { bearer, promoteToAdmin } from '../auth/helpers';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { testConfig } from '../support/env';
import { catWithPlayer, PlayerAgent, startOidcStack, type OidcStack } from './support';

/**
 * The operator's side: `npm run admin -- oidc ...` registers a cat's client and a Cat House
 * resource server; the cat signs a player in and calls Cat House, whose resource server learns
 * through introspection what the token may do (the player's grant narrowed by the installation).
 * Admin views of anyone's connected apps, and deleting a client, end its tokens.
 */
let db: TestDatabase;
let stack: OidcStack;
let fixtures: DataSource;
let oidc: typeof OpenIdClient;
const REDIRECT = 'https://cat.example/callback';

beforeAll(async () => {
  oidc = await import('openid-client');
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

async function adminCommand(...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await admin([...argv, '--json'], { out: (t) => out.push(t), err: (t) => err.push(t) }, {
    NODE_ENV: 'test',
    DATABASE_URL: db.url,
    TOKEN_SECRET: 'test-secret-test-secret-test-secret-0123',
    OIDC_ISSUER: stack.issuer,
  });
  return { code, body: JSON.parse(out.join('') || '{}'), err: err.join('\n') };
}

const discover = (clientId: string, secret: string) =>
  oidc.discovery(new URL(stack.issuer), clientId, secret, oidc.ClientSecretBasic(secret), { execute: [oidc.allowInsecureRequests] });

it('CLI-registered client and resource server: the resource server introspects the cat\'s token; admin views; deleting the client ends its tokens', async () => {
  const f = await catWithPlayer(stack, fixtures, { asked: ['storage', 'notification'], granted: ['notification'] });
  const created = await adminCommand('oidc', 'clients', 'create', '--cat', f.catId, '--name', 'Purr Web', '--redirect-uri', REDIRECT);
  expect(created.code).toBe(0);
  expect(created.body).toMatchObject({ cat_id: f.catId, redirect_uris: [REDIRECT], client_secret: expect.any(String) });
  const usage = await adminCommand('oidc', 'clients', 'create', '--cat', f.catId, '--name', 'No redirect');
  expect(usage.code).toBe(2);
  const rs = await adminCommand('oidc', 'resource-server', 'create', 'catalog-service');
  expect(rs.code).toBe(0);
  expect(rs.body.cat_id).toBeNull();

  const config = await discover(created.body.client_id, created.body.client_secret);
  const verifier = oidc.randomPKCECodeVerifier();
  const url = oidc.buildAuthorizationUrl(config, { redirect_uri: REDIRECT, scope: 'openid offline_access cathouse:storage cathouse:notification', prompt: 'consent', code_challenge: await oidc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256', state: 'st' });
  const agent = new PlayerAgent(stack.url);
  await agent.follow(url.href);
  await agent.signIn(f.player.email);
  const done = await agent.consent({ allow: true });
  const tokens = await oidc.authorizationCodeGrant(config, new URL(done.callback!), { pkceCodeVerifier: verifier, expectedState: 'st' });

  // Cat House's resource server: what may this token do?
  const rsConfig = await discover(rs.body.client_id, rs.body.client_secret);
  expect(await oidc.tokenIntrospection(rsConfig, tokens.access_token)).toMatchObject({
    active: true,
    client_id: created.body.client_id,
    sub: f.player.id,
    cat_id: f.catId,
    installation_id: f.installationId,
    perms: ['notification'],
  });
  // Another cat's client may not introspect it.
  const g = await catWithPlayer(stack, fixtures);
  const stranger = await adminCommand('oidc', 'clients', 'create', '--cat', g.catId, '--name', 'Stranger', '--redirect-uri', REDIRECT);
  expect(await oidc.tokenIntrospection(await discover(stranger.body.client_id, stranger.body.client_secret), tokens.access_token)).toEqual({ active: false });

  // An admin sees the player's connected apps.
  await promoteToAdmin(stack.t, f.developer.id);
  const adminView = await request(stack.t.app).get(`/api/v1/auth/users/${f.player.id}/connected-apps`).set(bearer(f.developer.token));
  expect(adminView.status).toBe(200);
  expect(adminView.body.connected_apps).toHaveLength(1);
  expect((await request(stack.t.app).get(`/api/v1/auth/users/${f.player.id}/connected-apps`).set(bearer(f.player.token))).status).toBe(403);

  const list = await adminCommand('oidc', 'clients', 'list', '--cat', f.catId);
  expect(list.body.clients.map((c: { client_id: string }) => c.client_id)).toEqual([created.body.client_id]);
  const iat = await adminCommand('oidc', 'token', '--cat', f.catId);
  expect(iat.body.registration_endpoint).toBe(`${stack.issuer}/reg`);

  const deleted = await adminCommand('oidc', 'clients', 'delete', created.body.client_id);
  expect(deleted.code).toBe(0);
  expect(await oidc.tokenIntrospection(rsConfig, tokens.access_token)).toEqual({ active: false });
  expect((await request(stack.t.app).get('/api/v1/auth/me/connected-apps').set(bearer(f.player.token))).body.connected_apps).toEqual([]);
  expect((await adminCommand('oidc', 'clients', 'delete', created.body.client_id)).code).toBe(1);
});
