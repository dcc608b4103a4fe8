import type * as OpenIdClient from 'openid-client' with { 'resolution-mode': 'import' };
import request from 'supertest';
import type { DataSource } from 'typeorm';
import { createRuntimeDataSource } from '../../src/db/runtime-data-source';
import { bearer } from '../auth/helpers';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { testConfig } from '../support/env';
import { catWithPlayer, PlayerAgent, registerClient, startOidcStack, type OidcStack } from './support';

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
  let step = await agent.follow(url.href);
  expect(agent.lastPage).toContain('Sign in with Cat House');
  step = await agent.signIn(email);
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
