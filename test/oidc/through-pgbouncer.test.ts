import type { Server } from 'node:http';
import type * as OAuth from 'oauth4webapi' with { 'resolution-mode': 'import' };
import type * as OpenIdClient from 'openid-client' with { 'resolution-mode': 'import' };
import request from 'supertest';
import type { DataSource } from 'typeorm';
import { createRuntimeDataSource } from '../../src/db/runtime-data-source';
import { bearer } from '../auth/helpers';
import { startTestApp, type TestApp } from '../support/app';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { asServiceRole, testConfig } from '../support/env';
import { startPgBouncer, type PgBouncer } from '../support/pgbouncer';
import { findFreePort } from '../support/ports';
import { catWithPlayer, PlayerAgent, registerClient, type OidcStack } from './support';

/**
 * The provider's whole state through a real PgBouncer in transaction mode, as the auth service's
 * own database role (the privilege policy's grants), with two instances behind one issuer: the
 * player's browser goes to instance A, the cat's backend to instance B. A cat's backend registers
 * itself (RFC 7591, with the initial access token its developer got), then code + PKCE, refresh,
 * introspection, userinfo and revocation, driven by oauth4webapi and openid-client.
 */
let db: TestDatabase;
let bouncer: PgBouncer;
let fixtures: DataSource;
let oauth: typeof OAuth;
let oidc: typeof OpenIdClient;
const instances: { t: TestApp; server: Server; url: string }[] = [];
const REDIRECT = 'https://cat.example/callback';

beforeAll(async () => {
  oauth = await import('oauth4webapi');
  oidc = await import('openid-client');
  db = await createTestDatabase();
  fixtures = createRuntimeDataSource(db.url, testConfig().db);
  await fixtures.initialize();
  bouncer = await startPgBouncer(asServiceRole(db.url, 'auth'), { poolSize: 3 });
  // One issuer for both instances: the load balancer's address is instance A's port.
  const ports = [await findFreePort(), await findFreePort()];
  const issuer = `http://127.0.0.1:${ports[0]}/oidc`;
  for (const port of ports) {
    const t = await startTestApp(bouncer.url, { DB_POOL_MAX: '6', OIDC_ISSUER: issuer });
    const server = t.app.listen(port, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    instances.push({ t, server, url: `http://127.0.0.1:${port}` });
  }
});
afterAll(async () => {
  for (const { t, server } of instances) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await t.close();
  }
  await bouncer?.stop();
  await fixtures?.destroy();
  await db?.drop();
});

it('dynamic registration, the code flow, refresh, introspection, userinfo and revocation across two instances through PgBouncer', async () => {
  const [a, b] = instances;
  const stackA = { t: a!.t, url: a!.url, issuer: `${a!.url}/oidc` } as OidcStack;
  const f = await catWithPlayer(stackA, fixtures, { asked: ['storage', 'notification'], granted: ['storage'] });

  // The developer asks instance A for an initial access token; the cat's backend registers at B.
  const iat = await request(a!.t.app).post('/api/v1/auth/oidc/initial-access-tokens').set(bearer(f.developer.token)).send({ cat_id: f.catId });
  expect(iat.status).toBe(201);
  const issuer = new URL(stackA.issuer);
  const as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, { algorithm: 'oidc', [oauth.allowInsecureRequests]: true }));
  expect(as.registration_endpoint).toBe(iat.body.registration_endpoint);
  const registrationUrl = new URL(as.registration_endpoint!.replace(a!.url, b!.url));
  const refusedWithout = await fetch(registrationUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ redirect_uris: [REDIRECT] }) });
  expect(refusedWithout.status).toBe(401);
  const registered = await fetch(registrationUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${iat.body.initial_access_token}` },
    body: JSON.stringify({ client_name: 'Purr Backend', redirect_uris: [REDIRECT], [`cathouse_cat_id`]: '00000000-0000-4000-8000-000000000000' }),
  });
  expect(registered.status).toBe(201);
  const client = (await registered.json()) as { client_id: string; client_secret: string };
  // The policy bound it to the token's cat, whatever the request said.
  const [row] = await fixtures.query(`SELECT cat_id FROM auth.oidc_clients WHERE client_id = $1`, [client.client_id]);
  expect(row.cat_id).toBe(f.catId);

  const config = await oidc.discovery(new URL(stackA.issuer), client.client_id, client.client_secret, oidc.ClientSecretBasic(client.client_secret), { execute: [oidc.allowInsecureRequests] });
  const verifier = oidc.randomPKCECodeVerifier();
  const nonce = oidc.randomNonce();
  const url = oidc.buildAuthorizationUrl(config, {
    redirect_uri: REDIRECT,
    scope: 'openid offline_access cathouse:storage cathouse:notification',
    prompt: 'consent',
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state: 'st',
    nonce,
  });
  const agent = new PlayerAgent(a!.url);
  await agent.follow(url.href);
  await agent.signIn(f.player.email);
  const done = await agent.consent({ allow: true });

  // The backend talks to instance B (its token endpoint, same issuer).
  const configB = await oidc.discovery(new URL(`${b!.url}/oidc`), client.client_id, client.client_secret, oidc.ClientSecretBasic(client.client_secret), { execute: [oidc.allowInsecureRequests] }).catch((e: unknown) => e);
  // B answers with the one issuer (A's address): openid-client refuses a mismatched issuer, as it should.
  expect(configB).toBeInstanceOf(Error);
  const tokens = await oidc.authorizationCodeGrant(config, new URL(done.callback!), { pkceCodeVerifier: verifier, expectedState: 'st', expectedNonce: nonce });
  expect(tokens.claims()!.sub).toBe(f.player.id);
  const userinfo = await oidc.fetchUserInfo(config, tokens.access_token, f.player.id);
  expect(userinfo).toEqual({ sub: f.player.id });

  // Token, introspection and revocation requests to instance B directly (oauth4webapi, endpoints rewritten to B).
  const asB = { ...as, token_endpoint: as.token_endpoint!.replace(a!.url, b!.url), introspection_endpoint: as.introspection_endpoint!.replace(a!.url, b!.url), revocation_endpoint: as.revocation_endpoint!.replace(a!.url, b!.url) };
  const c = { client_id: client.client_id };
  const auth = oauth.ClientSecretBasic(client.client_secret);
  const opts = { [oauth.allowInsecureRequests]: true };
  const refreshed = await oauth.processRefreshTokenResponse(asB, c, await oauth.refreshTokenGrantRequest(asB, c, auth, tokens.refresh_token!, opts));
  const introspected = await oauth.processIntrospectionResponse(asB, c, await oauth.introspectionRequest(asB, c, auth, refreshed.access_token, opts));
  expect(introspected).toMatchObject({ active: true, perms: ['storage'], installation_id: f.installationId });
  const apps = await request(b!.t.app).get('/api/v1/auth/me/connected-apps').set(bearer(f.player.token));
  expect(apps.body.connected_apps).toEqual([expect.objectContaining({ client_id: client.client_id, permissions: ['storage'], cat: { id: f.catId, name: 'Purr' } })]);
  await oauth.processRevocationResponse(await oauth.revocationRequest(asB, c, auth, refreshed.refresh_token!, opts));
  await expect(oidc.refreshTokenGrant(config, refreshed.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });

  // Nothing the provider stored is left in a session: every row is readable from a fresh connection.
  const [{ n }] = await fixtures.query(`SELECT count(*)::int AS n FROM auth.oidc_models WHERE payload->>'accountId' = $1`, [f.player.id]);
  expect(n).toBeGreaterThan(0);
});

it("logging out everywhere at instance B signs the player's browser out of the provider at instance A, through PgBouncer", async () => {
  const [a, b] = instances;
  const stackA = { t: a!.t, url: a!.url, issuer: `${a!.url}/oidc` } as OidcStack;
  const f = await catWithPlayer(stackA, fixtures, { asked: ['storage'], granted: ['storage'] });
  const client = await registerClient(stackA, f.developer.token, { cat_id: f.catId, client_name: 'Purr Web', redirect_uris: [REDIRECT] });
  const config = await oidc.discovery(new URL(stackA.issuer), client.client_id, client.client_secret, oidc.ClientSecretBasic(client.client_secret!), { execute: [oidc.allowInsecureRequests] });
  const authorize = async (prompt?: string) =>
    oidc.buildAuthorizationUrl(config, {
      redirect_uri: REDIRECT,
      scope: 'openid cathouse:storage',
      ...(prompt ? { prompt } : {}),
      code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()),
      code_challenge_method: 'S256',
      state: 'st',
    }).href;
  const agent = new PlayerAgent(a!.url);
  await agent.follow(await authorize());
  await agent.signIn(f.player.email);
  expect((await agent.consent({ allow: true })).callback).toContain('code=');

  expect((await request(b!.t.app).post('/api/v1/auth/logout').set(bearer(f.player.token)).send({ scope: 'global' })).status).toBe(204);
  const silent = await agent.follow(await authorize('none'));
  expect(new URL(silent.callback!).searchParams.get('error')).toBe('login_required');
});
