import type * as OpenIdClient from 'openid-client' with { 'resolution-mode': 'import' };
import request from 'supertest';
import type { DataSource } from 'typeorm';
import { createRuntimeDataSource } from '../../src/db/runtime-data-source';
import { bearer } from '../auth/helpers';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { testConfig } from '../support/env';
import { catWithPlayer, PlayerAgent, registerClient, startOidcStack, type OidcStack } from './support';
import { until } from '../support/ssf';

// Over 250 lines on purpose: every flow of the provider against one database and one running service.
/**
 * "Sign in with Cat House" driven by openid-client (panva's certified RP library, strict about
 * issuer, state, nonce, PKCE and ID-token validation): discovery, the authorization code flow with
 * PKCE through the login and consent pages, the ID token, userinfo, refresh, introspection and
 * revocation, for a confidential and a public client.
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

async function discover(clientId: string, secret?: string) {
  return oidc.discovery(new URL(stack.issuer), clientId, secret, secret ? oidc.ClientSecretBasic(secret) : oidc.None(), {
    execute: [oidc.allowInsecureRequests],
  });
}

/** The whole front channel: authorization request, login, consent; returns the callback URL and the PKCE and nonce values. */
async function authorize(config: OpenIdClient.Configuration, email: string, scope: string, { consentScopes, prompt }: { consentScopes?: string[]; prompt?: string } = {}) {
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const nonce = oidc.randomNonce();
  const url = oidc.buildAuthorizationUrl(config, {
    redirect_uri: REDIRECT,
    scope,
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
    nonce,
    ...(prompt ? { prompt } : {}),
  });
  const agent = new PlayerAgent(stack.url);
  await agent.follow(url.href);
  expect(agent.lastPage).toContain('Sign in with Cat House');
  let step = await agent.signIn(email);
  expect(step.page).toContain('wants to use your Cat House account');
  step = await agent.consent({ allow: true, scopes: consentScopes });
  expect(step.callback).toBeDefined();
  return { callback: new URL(step.callback!), verifier, state, nonce, agent };
}

describe('a confidential client (a cat\'s web backend)', () => {
  it('discovery, code + PKCE, a verified ID token, userinfo, refresh, introspection and revocation', async () => {
    const f = await catWithPlayer(stack, fixtures, { asked: ['storage', 'notification'], granted: ['storage', 'notification'] });
    const registered = await registerClient(stack, f.developer.token, { cat_id: f.catId, client_name: 'Purr Web', redirect_uris: [REDIRECT] });
    expect(registered.client_secret).toBeDefined();
    const config = await discover(registered.client_id, registered.client_secret);
    const metadata = config.serverMetadata();
    expect(metadata.issuer).toBe(stack.issuer);
    expect(metadata.code_challenge_methods_supported).toEqual(['S256']);
    expect(metadata.jwks_uri).toBe(`${stack.url}/.well-known/jwks.json`);
    expect(metadata.id_token_signing_alg_values_supported).toEqual(['ES256']);

    const { callback, verifier, state, nonce } = await authorize(config, f.player.email, 'openid profile email offline_access cathouse:storage', { prompt: 'consent' });
    const tokens = await oidc.authorizationCodeGrant(config, callback, { pkceCodeVerifier: verifier, expectedState: state, expectedNonce: nonce });
    const claims = tokens.claims()!;
    expect(claims.sub).toBe(f.player.id);
    expect(claims.iss).toBe(stack.issuer);
    expect(claims.aud).toBe(registered.client_id);
    expect(claims.amr).toEqual(['pwd']);
    expect(claims.acr).toBe('urn:cathouse:acr:password');
    expect(typeof claims.auth_time).toBe('number');
    expect(tokens.refresh_token).toBeDefined();
    expect(tokens.scope?.split(' ').sort()).toEqual(['cathouse:storage', 'email', 'offline_access', 'openid', 'profile']);

    const userinfo = await oidc.fetchUserInfo(config, tokens.access_token, f.player.id);
    expect(userinfo).toMatchObject({ sub: f.player.id, email: f.player.email, email_verified: false, name: 'Pat Player' });

    const introspected = await oidc.tokenIntrospection(config, tokens.access_token);
    expect(introspected).toMatchObject({ active: true, sub: f.player.id, client_id: registered.client_id, installation_id: f.installationId, cat_id: f.catId, perms: ['storage'] });

    const refreshed = await oidc.refreshTokenGrant(config, tokens.refresh_token!);
    expect(refreshed.access_token).not.toBe(tokens.access_token);
    expect(refreshed.claims()!.sub).toBe(f.player.id);

    await oidc.tokenRevocation(config, refreshed.refresh_token!);
    await expect(oidc.refreshTokenGrant(config, refreshed.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
    expect(await oidc.tokenIntrospection(config, refreshed.refresh_token!)).toEqual({ active: false });

    const apps = await request(stack.t.app).get('/api/v1/auth/me/connected-apps').set(bearer(f.player.token));
    expect(apps.status).toBe(200);
    expect(apps.body.connected_apps).toHaveLength(1);
  });
});

describe('a public client (a browser or mobile app: PKCE, no secret)', () => {
  it('refresh tokens rotate on every use, and replaying a rotated one revokes the whole grant', async () => {
    const f = await catWithPlayer(stack, fixtures);
    const registered = await registerClient(stack, f.developer.token, { cat_id: f.catId, client_name: 'Purr App', redirect_uris: [REDIRECT], token_endpoint_auth_method: 'none' });
    expect(registered.client_secret).toBeUndefined();
    const config = await discover(registered.client_id);
    const { callback, verifier, state, nonce } = await authorize(config, f.player.email, 'openid offline_access cathouse:storage', { prompt: 'consent' });
    const tokens = await oidc.authorizationCodeGrant(config, callback, { pkceCodeVerifier: verifier, expectedState: state, expectedNonce: nonce });
    const first = await oidc.refreshTokenGrant(config, tokens.refresh_token!);
    expect(first.refresh_token).toBeDefined();
    expect(first.refresh_token).not.toBe(tokens.refresh_token);
    const second = await oidc.refreshTokenGrant(config, first.refresh_token!);
    expect(second.refresh_token).not.toBe(first.refresh_token);

    // The rotated token again: refused, and every token of the grant with it (RFC 9700 §4.14.2).
    await expect(oidc.refreshTokenGrant(config, first.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
    await expect(oidc.refreshTokenGrant(config, second.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
    expect(await oidc.tokenIntrospection(config, second.access_token)).toEqual({ active: false });
  });
});

describe('consent bound to installations', () => {
  async function connected(scope: string, consentScopes: string[] | undefined, asked: ('storage' | 'notification' | 'external_api')[], granted: ('storage' | 'notification' | 'external_api')[]) {
    const f = await catWithPlayer(stack, fixtures, { asked, granted });
    const registered = await registerClient(stack, f.developer.token, { cat_id: f.catId, client_name: 'Purr Web', redirect_uris: [REDIRECT] });
    const config = await discover(registered.client_id, registered.client_secret);
    const { callback, verifier, state, nonce } = await authorize(config, f.player.email, scope, { consentScopes, prompt: 'consent' });
    const tokens = await oidc.authorizationCodeGrant(config, callback, { pkceCodeVerifier: verifier, expectedState: state, expectedNonce: nonce });
    return { f, config, tokens, clientId: registered.client_id };
  }

  it('partial consent: only the ticked scopes are granted, and only those the installation still has reach the token', async () => {
    const { config, tokens, f } = await connected(
      'openid offline_access cathouse:storage cathouse:notification cathouse:external_api',
      ['openid', 'offline_access', 'cathouse:storage', 'cathouse:external_api'],
      ['storage', 'notification', 'external_api'],
      ['storage', 'notification'],
    );
    expect(tokens.scope?.split(' ').sort()).toEqual(['cathouse:external_api', 'cathouse:storage', 'offline_access', 'openid']);
    // external_api was granted by the player but not by the installation; notification the other way round.
    expect(await oidc.tokenIntrospection(config, tokens.access_token)).toMatchObject({ active: true, perms: ['storage'] });

    // The installation grants external_api later: the next introspection says so (read afresh).
    await fixtures.query(
      `UPDATE installation.installation_permissions ip SET granted = true FROM catalog.permissions p
        WHERE p.id = ip.permission_id AND ip.installation_id = $1 AND p.permission_type = 'external_api'`,
      [f.installationId],
    );
    expect(await oidc.tokenIntrospection(config, tokens.access_token)).toMatchObject({ active: true, perms: ['external_api', 'storage'] });
  });

  it('a paused installation stops the tokens at once (refresh, introspection, userinfo), and resuming it lets them work again', async () => {
    const { config, tokens, f } = await connected('openid offline_access cathouse:storage', undefined, ['storage'], ['storage']);
    await fixtures.query(`UPDATE installation.installations SET status = 'paused' WHERE id = $1`, [f.installationId]);
    await expect(oidc.refreshTokenGrant(config, tokens.refresh_token!)).rejects.toMatchObject({
      error: 'invalid_grant',
      error_description: expect.stringContaining('paused or uninstalled'),
    });
    expect(await oidc.tokenIntrospection(config, tokens.access_token)).toEqual({ active: false });
    expect(await oidc.tokenIntrospection(config, tokens.refresh_token!)).toEqual({ active: false });
    await expect(oidc.fetchUserInfo(config, tokens.access_token, f.player.id)).rejects.toMatchObject({ status: 401 });

    await fixtures.query(`UPDATE installation.installations SET status = 'active' WHERE id = $1`, [f.installationId]);
    const refreshed = await oidc.refreshTokenGrant(config, tokens.refresh_token!);
    expect(await oidc.tokenIntrospection(config, refreshed.access_token)).toMatchObject({ active: true, perms: ['storage'] });
  });

  it('an uninstalled installation or an unpublished cat refuses the code exchange itself', async () => {
    const f = await catWithPlayer(stack, fixtures, { asked: ['storage'], granted: ['storage'] });
    const registered = await registerClient(stack, f.developer.token, { cat_id: f.catId, client_name: 'Purr Web', redirect_uris: [REDIRECT] });
    const config = await discover(registered.client_id, registered.client_secret);
    const { callback, verifier, state, nonce } = await authorize(config, f.player.email, 'openid cathouse:storage');
    await fixtures.query(`UPDATE installation.installations SET status = 'uninstalled' WHERE id = $1`, [f.installationId]);
    await expect(oidc.authorizationCodeGrant(config, callback, { pkceCodeVerifier: verifier, expectedState: state, expectedNonce: nonce })).rejects.toMatchObject({
      error: 'invalid_grant',
    });
    // The provider reports the refusal through an event (provider.ts records it without holding the answer back): wait for the row.
    const refusedRows = () => fixtures.query(`SELECT detail FROM auth.audit_events WHERE type = 'oidc_token_refused' AND user_id = $1`, [f.player.id]);
    await until(async () => (await refusedRows()).length > 0, 5_000);
    const refused = await refusedRows();
    expect(refused[0].detail).toMatchObject({ client_id: registered.client_id, grant_type: 'authorization_code', error: 'invalid_grant' });
  });

  it('the player disconnects the app: refresh and introspection say so at once; the app is gone from the list; events record grant and revoke', async () => {
    const { config, tokens, f, clientId } = await connected('openid offline_access cathouse:storage', undefined, ['storage'], ['storage']);
    const list = await request(stack.t.app).get('/api/v1/auth/me/connected-apps').set(bearer(f.player.token));
    expect(list.body.connected_apps[0]).toMatchObject({
      client_id: clientId,
      client_name: 'Purr Web',
      cat: { id: f.catId, name: 'Purr' },
      installation: { id: f.installationId, status: 'active' },
      scopes: ['openid', 'offline_access', 'cathouse:storage'],
      permissions: ['storage'],
    });
    expect(list.body.connected_apps[0].last_used_at).not.toBeNull();
    const id = list.body.connected_apps[0].id;

    // Another player cannot revoke it.
    const other = await catWithPlayer(stack, fixtures);
    expect((await request(stack.t.app).delete(`/api/v1/auth/me/connected-apps/${id}`).set(bearer(other.player.token))).status).toBe(404);

    expect((await request(stack.t.app).delete(`/api/v1/auth/me/connected-apps/${id}`).set(bearer(f.player.token))).status).toBe(204);
    await expect(oidc.refreshTokenGrant(config, tokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
    expect(await oidc.tokenIntrospection(config, tokens.access_token)).toEqual({ active: false });
    expect((await request(stack.t.app).get('/api/v1/auth/me/connected-apps').set(bearer(f.player.token))).body.connected_apps).toEqual([]);
    const events = await fixtures.query(`SELECT type FROM auth.audit_events WHERE user_id = $1 AND type LIKE 'oidc_%' ORDER BY id`, [f.player.id]);
    expect(events.map((e: { type: string }) => e.type)).toEqual(['oidc_consent_granted', 'oidc_consent_revoked']);

    // Asking again shows the consent page again (the old consent is gone).
    const again = await authorize(config, f.player.email, 'openid cathouse:storage');
    expect(again.callback.searchParams.get('code')).toBeTruthy();
  });

  it('the player denies: the app gets access_denied and nothing is connected', async () => {
    const f = await catWithPlayer(stack, fixtures);
    const registered = await registerClient(stack, f.developer.token, { cat_id: f.catId, client_name: 'Purr Web', redirect_uris: [REDIRECT] });
    const config = await discover(registered.client_id, registered.client_secret);
    const verifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const url = oidc.buildAuthorizationUrl(config, { redirect_uri: REDIRECT, scope: 'openid cathouse:storage', code_challenge: await oidc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256', state });
    const agent = new PlayerAgent(stack.url);
    await agent.follow(url.href);
    await agent.signIn(f.player.email);
    const denied = await agent.consent({ allow: false });
    await expect(oidc.authorizationCodeGrant(config, new URL(denied.callback!), { pkceCodeVerifier: verifier, expectedState: state })).rejects.toMatchObject({ error: 'access_denied' });
    expect((await request(stack.t.app).get('/api/v1/auth/me/connected-apps').set(bearer(f.player.token))).body.connected_apps).toEqual([]);
  });

  it('a player without an active installation cannot consent', async () => {
    const f = await catWithPlayer(stack, fixtures);
    await fixtures.query(`UPDATE installation.installations SET status = 'paused' WHERE id = $1`, [f.installationId]);
    const registered = await registerClient(stack, f.developer.token, { cat_id: f.catId, client_name: 'Purr Web', redirect_uris: [REDIRECT] });
    const config = await discover(registered.client_id, registered.client_secret);
    const url = oidc.buildAuthorizationUrl(config, { redirect_uri: REDIRECT, scope: 'openid cathouse:storage', code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()), code_challenge_method: 'S256', state: 's' });
    const agent = new PlayerAgent(stack.url);
    await agent.follow(url.href);
    await agent.signIn(f.player.email);
    expect(agent.lastPage).toContain('data-code="installation_required"');
    expect(agent.lastPage).not.toContain('id="consent-form"');
  });
});

describe('prompt and max_age with the provider session', () => {
  it('prompt=none answers at once for a signed-in, consented player, and consent_required for a new client; max_age=0 asks to sign in again', async () => {
    const f = await catWithPlayer(stack, fixtures, { asked: ['storage'], granted: ['storage'] });
    const registered = await registerClient(stack, f.developer.token, { cat_id: f.catId, client_name: 'Purr Web', redirect_uris: [REDIRECT] });
    const config = await discover(registered.client_id, registered.client_secret);
    const { agent } = await authorize(config, f.player.email, 'openid cathouse:storage');
    const silent = async (params: Record<string, string>) => {
      const verifier = oidc.randomPKCECodeVerifier();
      const url = oidc.buildAuthorizationUrl(config, { redirect_uri: REDIRECT, scope: 'openid cathouse:storage', code_challenge: await oidc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256', state: 'st', ...params });
      return { verifier, step: await agent.follow(url.href) };
    };
    const none = await silent({ prompt: 'none' });
    const tokens = await oidc.authorizationCodeGrant(config, new URL(none.step.callback!), { pkceCodeVerifier: none.verifier, expectedState: 'st' });
    expect(tokens.claims()!.sub).toBe(f.player.id);

    const other = await registerClient(stack, f.developer.token, { cat_id: f.catId, client_name: 'Other', redirect_uris: [REDIRECT] });
    const otherConfig = await discover(other.client_id, other.client_secret);
    const url = oidc.buildAuthorizationUrl(otherConfig, { redirect_uri: REDIRECT, scope: 'openid', code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()), code_challenge_method: 'S256', state: 'st', prompt: 'none' });
    const refused = await agent.follow(url.href);
    expect(new URL(refused.callback!).searchParams.get('error')).toBe('consent_required');

    const maxAge = await silent({ max_age: '0' });
    expect(maxAge.step.page).toContain('Sign in with Cat House');
  });
});

describe('RP-initiated logout', () => {
  it('the cat sends the player to end_session: the confirmation page, then signed out, and the next sign-in asks for the password', async () => {
    const f = await catWithPlayer(stack, fixtures, { asked: ['storage'], granted: ['storage'] });
    const registered = await registerClient(stack, f.developer.token, { cat_id: f.catId, client_name: 'Purr Web', redirect_uris: [REDIRECT] });
    const config = await discover(registered.client_id, registered.client_secret);
    const { callback, verifier, state, nonce, agent } = await authorize(config, f.player.email, 'openid cathouse:storage');
    const tokens = await oidc.authorizationCodeGrant(config, callback, { pkceCodeVerifier: verifier, expectedState: state, expectedNonce: nonce });

    const logout = oidc.buildEndSessionUrl(config, { id_token_hint: tokens.id_token! });
    const page = await agent.follow(logout.href);
    expect(page.page).toContain('Sign out of Cat House?');
    const xsrf = /name="xsrf" value="([^"]+)"/.exec(page.page!)![1]!;
    const action = /<form id="op.logoutForm" method="post" action="([^"]+)"/.exec(page.page!)![1]!;
    const done = await agent.follow(action, { form: { xsrf, logout: 'yes' } });
    expect(done.page).toContain('You are signed out of Cat House');

    const again = oidc.buildAuthorizationUrl(config, { redirect_uri: REDIRECT, scope: 'openid', code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()), code_challenge_method: 'S256', state: 'st' });
    await agent.follow(again.href);
    expect(agent.lastPage).toContain('Sign in with Cat House');
  });
});
