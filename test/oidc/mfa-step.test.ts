import type * as OpenIdClient from 'openid-client' with { 'resolution-mode': 'import' };
import request from 'supertest';
import type { DataSource } from 'typeorm';
import { createRuntimeDataSource } from '../../src/db/runtime-data-source';
import { bearer } from '../auth/helpers';
import { totpCode } from '../factors/support';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { testConfig } from '../support/env';
import { catWithPlayer, PlayerAgent, registerClient, startOidcStack, type OidcStack } from './support';

/**
 * Issue 26 on the provider's login page: a player with an authenticator app is asked for its code
 * after the password (the SignInStep hook), and the ID token says so (amr pwd, otp, mfa; the
 * multi-factor acr). Driven by openid-client as in code-flow.test.ts.
 */
let db: TestDatabase;
let stack: OidcStack;
let fixtures: DataSource;
let oidc: typeof OpenIdClient;
const REDIRECT = 'https://cat.example/callback';
const clock = { now: Date.UTC(2026, 0, 1) };

beforeAll(async () => {
  oidc = await import('openid-client');
  db = await createTestDatabase();
  fixtures = createRuntimeDataSource(db.url, testConfig().db);
  await fixtures.initialize();
  stack = await startOidcStack(db.url, {}, { factorClock: () => clock.now });
});
afterAll(async () => {
  await stack?.close();
  await fixtures?.destroy();
  await db?.drop();
});

/** A player of a cat with a client, with a confirmed authenticator app. */
async function playerWithTotp() {
  const f = await catWithPlayer(stack, fixtures);
  const begun = await request(stack.t.app).post('/api/v1/auth/me/totp').set(bearer(f.player.token));
  const secret = begun.body.secret as string;
  const confirmed = await request(stack.t.app).post('/api/v1/auth/me/totp/confirm').set(bearer(f.player.token)).send({ code: totpCode(secret, clock.now) });
  expect(confirmed.status).toBe(200);
  clock.now += 30_000;
  const registered = await registerClient(stack, f.developer.token, { cat_id: f.catId, client_name: 'Purr Web', redirect_uris: [REDIRECT] });
  const config = await oidc.discovery(new URL(stack.issuer), registered.client_id, registered.client_secret, oidc.ClientSecretBasic(registered.client_secret!), {
    execute: [oidc.allowInsecureRequests],
  });
  return { f, secret, recoveryCodes: confirmed.body.recovery_codes as string[], config };
}

async function startAuthorization(config: OpenIdClient.Configuration) {
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const url = oidc.buildAuthorizationUrl(config, {
    redirect_uri: REDIRECT,
    scope: 'openid profile',
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
  });
  const agent = new PlayerAgent(stack.url);
  await agent.follow(url.href);
  return { agent, verifier, state };
}

it('asks for the authenticator app after the password; a wrong code shows the page again; the ID token says pwd + otp', async () => {
  const { f, secret, config } = await playerWithTotp();
  const { agent, verifier, state } = await startAuthorization(config);
  const afterPassword = await agent.signIn(f.player.email);
  expect(afterPassword.callback).toBeUndefined();
  expect(afterPassword.page).toContain('Second factor');
  // The password alone is no finished sign-in: login_succeeded comes with the second factor.
  const succeeded = () => fixtures.query(`SELECT detail FROM auth.audit_events WHERE user_id = $1 AND type = 'login_succeeded' AND detail->>'via' = 'oidc' ORDER BY id`, [f.player.id]);
  expect(await succeeded()).toEqual([]);

  const form = agent.form('mfa-form');
  const wrong = await agent.follow(form.action, { form: { ...form.fields, code: totpCode(secret, clock.now + 20 * 30_000) } });
  expect(agent.lastStatus).toBe(401);
  expect(wrong.page).toContain('invalid_credentials');

  const retry = agent.form('mfa-form');
  const consent = await agent.follow(retry.action, { form: { ...retry.fields, code: totpCode(secret, clock.now) } });
  expect(consent.page).toContain('wants to use your Cat House account');
  expect(await succeeded()).toEqual([{ detail: { via: 'oidc', amr: ['pwd', 'otp', 'mfa'] } }]);
  const done = await agent.consent({ allow: true });
  const tokens = await oidc.authorizationCodeGrant(config, new URL(done.callback!), { pkceCodeVerifier: verifier, expectedState: state });
  const claims = tokens.claims()!;
  expect(claims.sub).toBe(f.player.id);
  expect(claims.amr).toEqual(['pwd', 'otp', 'mfa']);
  expect(claims.acr).toBe('urn:cathouse:acr:mfa');
});

it('takes a recovery code instead, once; a forged challenge is refused back to the sign-in', async () => {
  const { f, recoveryCodes, config } = await playerWithTotp();
  const first = await startAuthorization(config);
  await first.agent.signIn(f.player.email);
  const form = first.agent.form('mfa-form');
  const consent = await first.agent.follow(form.action, { form: { ...form.fields, code: recoveryCodes[0]! } });
  expect(consent.page).toContain('wants to use your Cat House account');

  const second = await startAuthorization(config);
  await second.agent.signIn(f.player.email);
  const again = second.agent.form('mfa-form');
  await second.agent.follow(again.action, { form: { ...again.fields, code: recoveryCodes[0]! } });
  expect(second.agent.lastStatus).toBe(401);
  const forged = second.agent.form('mfa-form');
  const back = await second.agent.follow(forged.action, { form: { ...forged.fields, challenge: 'not-a-challenge', code: recoveryCodes[1]! } });
  expect(second.agent.lastStatus).toBe(400);
  expect(back.page).toContain('invalid_mfa_token');
  expect(back.page).toContain('Sign in with Cat House');
});

it('a player without a second factor signs in with the password alone, as before', async () => {
  const f = await catWithPlayer(stack, fixtures);
  const registered = await registerClient(stack, f.developer.token, { cat_id: f.catId, client_name: 'Purr Web', redirect_uris: [REDIRECT] });
  const config = await oidc.discovery(new URL(stack.issuer), registered.client_id, registered.client_secret, oidc.ClientSecretBasic(registered.client_secret!), {
    execute: [oidc.allowInsecureRequests],
  });
  const { agent } = await startAuthorization(config);
  const step = await agent.signIn(f.player.email);
  expect(step.page).toContain('wants to use your Cat House account');
});
