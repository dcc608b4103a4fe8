import type * as OpenIdClient from 'openid-client' with { 'resolution-mode': 'import' };
import request from 'supertest';
import type { DataSource } from 'typeorm';
import { createRuntimeDataSource } from '../../src/db/runtime-data-source';
import { bearer } from '../auth/helpers';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { testConfig } from '../support/env';
import { catWithPlayer, PlayerAgent, registerClient, startOidcStack, type CatFixture, type OidcStack } from './support';

/**
 * The refusals issue 27 lists, each through openid-client (or a bare browser request where the
 * library itself refuses to send the bad request): a redirect URI one character off, a reused code,
 * PKCE plain, a wrong verifier, a code for another client, an expired grant, a revoked installation.
 */
let db: TestDatabase;
let stack: OidcStack;
let fixtures: DataSource;
let oidc: typeof OpenIdClient;
let f: CatFixture;
let config: OpenIdClient.Configuration;
let otherConfig: OpenIdClient.Configuration;
const REDIRECT = 'https://cat.example/callback';

beforeAll(async () => {
  oidc = await import('openid-client');
  db = await createTestDatabase();
  fixtures = createRuntimeDataSource(db.url, testConfig().db);
  await fixtures.initialize();
  stack = await startOidcStack(db.url);
  f = await catWithPlayer(stack, fixtures, { asked: ['storage'], granted: ['storage'] });
  const discover = async (c: { client_id: string; client_secret?: string }) =>
    oidc.discovery(new URL(stack.issuer), c.client_id, c.client_secret, oidc.ClientSecretBasic(c.client_secret!), { execute: [oidc.allowInsecureRequests] });
  config = await discover(await registerClient(stack, f.developer.token, { cat_id: f.catId, client_name: 'Purr Web', redirect_uris: [REDIRECT] }));
  otherConfig = await discover(await registerClient(stack, f.developer.token, { cat_id: f.catId, client_name: 'Other', redirect_uris: [REDIRECT] }));
});
afterAll(async () => {
  await stack?.close();
  await fixtures?.destroy();
  await db?.drop();
});

/** A code for `config`'s client, with the PKCE verifier it was bound to. */
async function code(params: Record<string, string> = {}, forConfig = config) {
  const verifier = oidc.randomPKCECodeVerifier();
  const url = oidc.buildAuthorizationUrl(forConfig, {
    redirect_uri: REDIRECT,
    scope: 'openid offline_access cathouse:storage',
    prompt: 'consent',
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state: 'st',
    ...params,
  });
  const agent = new PlayerAgent(stack.url);
  let step = await agent.follow(url.href);
  if (step.page?.includes('password-form')) step = await agent.signIn(f.player.email);
  if (step.page?.includes('consent-form')) step = await agent.consent({ allow: true });
  return { callback: step.callback ? new URL(step.callback) : undefined, verifier, agent };
}

it('a redirect_uri that differs by one character is refused on the error page, with no redirect to it', async () => {
  const agent = new PlayerAgent(stack.url);
  const url = oidc.buildAuthorizationUrl(config, { redirect_uri: `${REDIRECT}s`, scope: 'openid', code_challenge: 'x'.repeat(43), code_challenge_method: 'S256', state: 'st' });
  const step = await agent.follow(url.href);
  expect(step.callback).toBeUndefined();
  expect(agent.lastStatus).toBe(400);
  expect(agent.lastPage).toContain('data-code="invalid_redirect_uri"');
});

it('a reused code is refused, and the tokens issued for it are revoked', async () => {
  const { callback, verifier } = await code();
  const tokens = await oidc.authorizationCodeGrant(config, callback!, { pkceCodeVerifier: verifier, expectedState: 'st' });
  await expect(oidc.authorizationCodeGrant(config, callback!, { pkceCodeVerifier: verifier, expectedState: 'st' })).rejects.toMatchObject({ error: 'invalid_grant' });
  expect(await oidc.tokenIntrospection(config, tokens.access_token)).toEqual({ active: false });
  await expect(oidc.refreshTokenGrant(config, tokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
});

it('PKCE plain is refused at the authorization endpoint (invalid_request back to the client)', async () => {
  const agent = new PlayerAgent(stack.url);
  const verifier = oidc.randomPKCECodeVerifier();
  const url = oidc.buildAuthorizationUrl(config, { redirect_uri: REDIRECT, scope: 'openid', code_challenge: verifier, code_challenge_method: 'plain', state: 'st' });
  const step = await agent.follow(url.href);
  const back = new URL(step.callback!);
  expect(back.searchParams.get('error')).toBe('invalid_request');
  expect(back.searchParams.get('error_description')).toMatch(/code_challenge_method/);
});

it('an authorization request without PKCE is refused', async () => {
  const agent = new PlayerAgent(stack.url);
  const url = oidc.buildAuthorizationUrl(config, { redirect_uri: REDIRECT, scope: 'openid', state: 'st' });
  const back = new URL((await agent.follow(url.href)).callback!);
  expect(back.searchParams.get('error')).toBe('invalid_request');
});

it('a wrong code_verifier is refused', async () => {
  const { callback } = await code();
  await expect(oidc.authorizationCodeGrant(config, callback!, { pkceCodeVerifier: oidc.randomPKCECodeVerifier(), expectedState: 'st' })).rejects.toMatchObject({ error: 'invalid_grant' });
});

it("a code issued to another client is refused", async () => {
  const { callback, verifier } = await code();
  await expect(oidc.authorizationCodeGrant(otherConfig, callback!, { pkceCodeVerifier: verifier, expectedState: 'st' })).rejects.toMatchObject({ error: 'invalid_grant' });
});

it('an expired code and an expired grant are refused', async () => {
  const first = await code();
  await fixtures.query(`UPDATE auth.oidc_models SET expires_at = now() - interval '1 second' WHERE model = 'AuthorizationCode' AND id = $1`, [first.callback!.searchParams.get('code')]);
  await expect(oidc.authorizationCodeGrant(config, first.callback!, { pkceCodeVerifier: first.verifier, expectedState: 'st' })).rejects.toMatchObject({ error: 'invalid_grant' });

  const second = await code();
  const tokens = await oidc.authorizationCodeGrant(config, second.callback!, { pkceCodeVerifier: second.verifier, expectedState: 'st' });
  const [{ grant_id }] = await fixtures.query(`SELECT grant_id FROM auth.oidc_models WHERE model = 'RefreshToken' AND payload->>'accountId' = $1 ORDER BY created_at DESC LIMIT 1`, [f.player.id]);
  await fixtures.query(`UPDATE auth.oidc_models SET expires_at = now() - interval '1 second' WHERE model = 'Grant' AND id = $1`, [grant_id]);
  await expect(oidc.refreshTokenGrant(config, tokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
  expect(await oidc.tokenIntrospection(config, tokens.access_token)).toEqual({ active: false });
});

it('a revoked installation (uninstalled) ends the tokens, and consent cannot be given again for it', async () => {
  const g = await catWithPlayer(stack, fixtures, { asked: ['storage'], granted: ['storage'] });
  const c = await registerClient(stack, g.developer.token, { cat_id: g.catId, client_name: 'Purr Web', redirect_uris: [REDIRECT] });
  const cfg = await oidc.discovery(new URL(stack.issuer), c.client_id, c.client_secret, oidc.ClientSecretBasic(c.client_secret!), { execute: [oidc.allowInsecureRequests] });
  const verifier = oidc.randomPKCECodeVerifier();
  const url = oidc.buildAuthorizationUrl(cfg, { redirect_uri: REDIRECT, scope: 'openid offline_access cathouse:storage', prompt: 'consent', code_challenge: await oidc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256', state: 'st' });
  const agent = new PlayerAgent(stack.url);
  await agent.follow(url.href);
  await agent.signIn(g.player.email);
  const done = await agent.consent({ allow: true });
  const tokens = await oidc.authorizationCodeGrant(cfg, new URL(done.callback!), { pkceCodeVerifier: verifier, expectedState: 'st' });

  await fixtures.query(`UPDATE installation.installations SET status = 'uninstalled' WHERE id = $1`, [g.installationId]);
  await expect(oidc.refreshTokenGrant(cfg, tokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant', error_description: expect.stringContaining('uninstalled') });
  expect(await oidc.tokenIntrospection(cfg, tokens.access_token)).toEqual({ active: false });
  const apps = await request(stack.t.app).get('/api/v1/auth/me/connected-apps').set(bearer(g.player.token));
  expect(apps.body.connected_apps[0]).toMatchObject({ installation: { status: 'uninstalled' }, permissions: [] });
  // A new authorization needs consent again, and there is no installation to give it for.
  await agent.follow(url.href);
  expect(agent.lastPage).toContain('data-code="installation_required"');
});

it('client registration refuses redirect URIs with fragments, and other developers\' cats', async () => {
  const fragment = await request(stack.t.app).post('/api/v1/auth/oidc/clients').set(bearer(f.developer.token)).send({ cat_id: f.catId, client_name: 'X', redirect_uris: ['https://cat.example/cb#x'] });
  expect(fragment.status).toBe(400);
  expect(fragment.body.error).toMatch(/^invalid_(redirect_uri|client_metadata)$/);
  const stranger = await catWithPlayer(stack, fixtures);
  const theirs = await request(stack.t.app).post('/api/v1/auth/oidc/clients').set(bearer(stranger.developer.token)).send({ cat_id: f.catId, client_name: 'X', redirect_uris: [REDIRECT] });
  expect(theirs.status).toBe(403);
  const player = await request(stack.t.app).post('/api/v1/auth/oidc/clients').set(bearer(f.player.token)).send({ cat_id: f.catId, client_name: 'X', redirect_uris: [REDIRECT] });
  expect(player.status).toBe(403);
});

it("the provider's login page goes through the login throttle and records the same events as POST /login", async () => {
  const g = await catWithPlayer(stack, fixtures);
  const agent = new PlayerAgent(stack.url);
  const url = oidc.buildAuthorizationUrl(config, { redirect_uri: REDIRECT, scope: 'openid', code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()), code_challenge_method: 'S256', state: 'st' });
  await agent.follow(url.href);
  for (let i = 0; i < 5; i++) {
    await agent.signIn(g.player.email, 'not the password');
    expect(agent.lastStatus).toBe(401);
    expect(agent.lastPage).toContain('data-code="invalid_credentials"');
  }
  await agent.signIn(g.player.email, 'not the password');
  expect(agent.lastStatus).toBe(429);
  expect(agent.lastPage).toContain('data-code="rate_limited"');
  const events = await fixtures.query(`SELECT type, detail->>'reason' AS reason FROM auth.audit_events WHERE user_id = $1 AND type LIKE 'login%' ORDER BY id`, [g.player.id]);
  expect(events.filter((e: { type: string }) => e.type === 'login_failed')).toHaveLength(5);

  // A sign-in that succeeds is login_succeeded with via=oidc (another player, not throttled).
  const h = await catWithPlayer(stack, fixtures);
  await agent.follow(url.href);
  await agent.signIn(h.player.email);
  const [ok] = await fixtures.query(`SELECT detail FROM auth.audit_events WHERE user_id = $1 AND type = 'login_succeeded' ORDER BY id DESC LIMIT 1`, [h.player.id]);
  expect(ok.detail).toEqual({ via: 'oidc' });
});

it('a form posted without its CSRF token is refused (403), and nothing is signed in', async () => {
  const agent = new PlayerAgent(stack.url);
  const url = oidc.buildAuthorizationUrl(config, { redirect_uri: REDIRECT, scope: 'openid', code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()), code_challenge_method: 'S256', state: 'st' });
  await agent.follow(url.href);
  const { action } = agent.form('password-form');
  await agent.follow(action, { form: { csrf: 'forged', email: f.player.email, password: 'correct horse battery staple' } });
  expect(agent.lastStatus).toBe(403);
  expect(agent.lastPage).toContain('data-code="csrf_failed"');
  expect(agent.lastPage).toContain('id="password-form"');
});

it("a deactivated player's tokens are inactive at introspection and refused at refresh", async () => {
  const { callback, verifier } = await code();
  const tokens = await oidc.authorizationCodeGrant(config, callback!, { pkceCodeVerifier: verifier, expectedState: 'st' });
  expect(await oidc.tokenIntrospection(config, tokens.access_token)).toMatchObject({ active: true });
  await fixtures.query(`UPDATE auth.users SET is_active = false WHERE id = $1`, [f.player.id]);
  try {
    expect(await oidc.tokenIntrospection(config, tokens.access_token)).toEqual({ active: false });
    await expect(oidc.refreshTokenGrant(config, tokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
  } finally {
    await fixtures.query(`UPDATE auth.users SET is_active = true WHERE id = $1`, [f.player.id]);
  }
});
