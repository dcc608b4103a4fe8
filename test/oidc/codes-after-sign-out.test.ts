import type * as OpenIdClient from 'openid-client' with { 'resolution-mode': 'import' };
import request from 'supertest';
import type { DataSource } from 'typeorm';
import { postgresAdapter } from '../../src/auth/oidc/adapter';
import { createRuntimeDataSource } from '../../src/db/runtime-data-source';
import { bearer } from '../auth/helpers';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { testConfig } from '../support/env';
import { startSmtpServer, type TestSmtpServer } from '../support/smtp';
import { catWithPlayer, PASSWORD, PlayerAgent, registerClient, startOidcStack, type CatFixture, type OidcStack } from './support';

/**
 * Issue 27: ending a user's sessions ends the provider's browser sign-in (sso-session-ending.test.ts),
 * and with it what that sign-in had not finished: an authorization code issued by it (or by a request
 * in flight at the sign-out) answers invalid_grant at /oidc/token, while the cat's refresh token keeps
 * the policy of provider-sign-outs.ts (kept on logout everywhere). A sign-in after the sign-out works.
 * Also: a browser coming back for an account that is gone gets an OAuth error, not a 500.
 */
let db: TestDatabase;
let smtp: TestSmtpServer;
let stack: OidcStack;
let fixtures: DataSource;
let oidc: typeof OpenIdClient;
const REDIRECT = 'https://cat.example/callback';
const API = '/api/v1/auth';
const NEW_PASSWORD = 'a different horse battery staple';

beforeAll(async () => {
  oidc = await import('openid-client');
  db = await createTestDatabase();
  smtp = await startSmtpServer();
  fixtures = createRuntimeDataSource(db.url, testConfig().db);
  await fixtures.initialize();
  stack = await startOidcStack(db.url, { SMTP_URL: smtp.url, APP_URL: 'https://app.cathouse.example', MAIL_POLL_INTERVAL_MS: '100' }, { mail: true });
});
afterAll(async () => {
  await stack?.close();
  await smtp?.stop();
  await fixtures?.destroy();
  await db?.drop();
});

interface SignedIn {
  f: CatFixture;
  config: OpenIdClient.Configuration;
  agent: PlayerAgent;
  tokens: OpenIdClient.TokenEndpointResponse;
}

interface CodeInHand {
  callback: URL;
  verifier: string;
}

/** The sign-out mark counts whole seconds: a sign-in in the second of the sign-out is the owner's own, signing in again. */
const nextSecond = () => new Promise((resolve) => setTimeout(resolve, 1_100));

/** An authorization request of `config`'s client, with its PKCE verifier. */
async function authorizationUrl(config: OpenIdClient.Configuration, prompt?: string): Promise<{ url: URL; verifier: string }> {
  const verifier = oidc.randomPKCECodeVerifier();
  const url = oidc.buildAuthorizationUrl(config, {
    redirect_uri: REDIRECT,
    scope: 'openid offline_access cathouse:storage',
    ...(prompt ? { prompt } : {}),
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state: 'st',
  });
  return { url, verifier };
}

/** A player signs in at the provider's login page in `agent` and connects a cat (a refresh token). */
async function signInAtProvider(): Promise<SignedIn> {
  const f = await catWithPlayer(stack, fixtures, { asked: ['storage'], granted: ['storage'] });
  const registered = await registerClient(stack, f.developer.token, { cat_id: f.catId, client_name: 'Purr Web', redirect_uris: [REDIRECT] });
  const config = await oidc.discovery(new URL(stack.issuer), registered.client_id, registered.client_secret, oidc.ClientSecretBasic(registered.client_secret!), {
    execute: [oidc.allowInsecureRequests],
  });
  const { url, verifier } = await authorizationUrl(config, 'consent');
  const agent = new PlayerAgent(stack.url);
  await agent.follow(url.href);
  await agent.signIn(f.player.email);
  const done = await agent.consent({ allow: true });
  const tokens = await oidc.authorizationCodeGrant(config, new URL(done.callback!), { pkceCodeVerifier: verifier, expectedState: 'st' });
  expect(tokens.refresh_token).toBeDefined();
  return { f, config, agent, tokens };
}

/**
 * The signed-in browser asks again without a password, for offline_access (prompt=consent), and
 * holds the code, unredeemed. offline_access matters: without it the library binds the code to the
 * browser session (expiresWithSession) and it dies with the session already; with it, it does not.
 */
async function codeFromSession({ config, agent }: SignedIn): Promise<CodeInHand> {
  const { url, verifier } = await authorizationUrl(config, 'consent');
  expect((await agent.follow(url.href)).page).toContain('Purr Web wants to use your Cat House account');
  const step = await agent.consent({ allow: true });
  if (!step.callback) throw new Error(`no redirect: ${agent.lastStatus} ${agent.lastPage.replace(/<style>[\s\S]*<\/style>/, '').slice(0, 1500)}`);
  const callback = new URL(step.callback);
  const [row] = await codeRows(callback.searchParams.get('code')!);
  expect(row!.payload.scope).toContain('offline_access');
  expect(row!.payload.expiresWithSession).toBeFalsy();
  return { callback, verifier };
}

const redeem = (config: OpenIdClient.Configuration, code: CodeInHand) =>
  oidc.authorizationCodeGrant(config, code.callback, { pkceCodeVerifier: code.verifier, expectedState: 'st' });

async function apiLogin(email: string, password = PASSWORD): Promise<string> {
  const res = await request(stack.t.app).post(`${API}/login`).send({ email, password });
  expect(res.status).toBe(200);
  return res.body.access_token;
}

async function logoutEverywhere(email: string): Promise<void> {
  expect((await request(stack.t.app).post(`${API}/logout`).set(bearer(await apiLogin(email))).send({ scope: 'global' })).status).toBe(204);
}

async function codeRows(code: string): Promise<{ id: string; payload: Record<string, unknown> }[]> {
  return fixtures.query(`SELECT id, payload FROM auth.oidc_models WHERE model = 'AuthorizationCode' AND id = $1`, [code]);
}

describe('consent given again in a signed-in browser', () => {
  it('prompt=consent for an app already connected replaces its grant and ends with a code that works', async () => {
    const s = await signInAtProvider();
    // The new consent deletes the old grant's rows; the interaction in flight names the old grant and must survive it.
    const code = await codeFromSession(s);
    const tokens = await redeem(s.config, code);
    expect(tokens.refresh_token).toBeDefined();
    await expect(oidc.refreshTokenGrant(s.config, s.tokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
  });
});

describe('a code of a sign-in that ended is refused at the token endpoint', () => {
  it('a code not yet redeemed when the player logs out everywhere answers invalid_grant; a new sign-in works', async () => {
    const s = await signInAtProvider();
    const code = await codeFromSession(s);
    await nextSecond();
    await logoutEverywhere(s.f.player.email);

    // Logout everywhere keeps the app's tokens (ENDS_APP_TOKENS; sso-session-ending.test.ts shows its
    // refresh token still working), so the code's row is still there: the adapter reads it as absent.
    expect(await codeRows(code.callback.searchParams.get('code')!)).toHaveLength(1);
    await expect(redeem(s.config, code)).rejects.toMatchObject({ error: 'invalid_grant' });

    // The player signs in again (after the mark): the new sign-in's code becomes tokens.
    const again = await authorizationUrl(s.config);
    expect((await s.agent.follow(again.url.href)).page).toContain('Sign in with Cat House');
    await s.agent.signIn(s.f.player.email);
    const done = await s.agent.consent({ allow: true });
    const tokens = await redeem(s.config, { callback: new URL(done.callback!), verifier: again.verifier });
    expect(tokens.claims()?.sub).toBe(s.f.player.id);
  });

  it('a code saved by a request in flight at a password reset answers invalid_grant, and the owner signs in again with the new password', async () => {
    const s = await signInAtProvider();
    const code = await codeFromSession(s);
    const [row] = await codeRows(code.callback.searchParams.get('code')!);
    await nextSecond();
    expect((await request(stack.t.app).post(`${API}/password/forgot`).send({ email: s.f.player.email })).status).toBe(202);
    const mail = await smtp.waitFor(s.f.player.email, /Reset your password/);
    expect((await request(stack.t.app).post(`${API}/password/reset`).send({ token: mail.token, password: NEW_PASSWORD })).status).toBeLessThan(300);
    // The reset ended the app's codes and tokens (ENDS_APP_TOKENS)...
    expect(await codeRows(row!.id)).toHaveLength(0);

    // ...but a request that loaded the session before the reset saves its code when it ends: nothing is written,
    await postgresAdapter(stack.t.dataSource)('AuthorizationCode').upsert(row!.id, row!.payload, 60);
    expect(await codeRows(row!.id)).toHaveLength(0);
    // and a save that landed between the reset's delete and its commit (the row is there) is read as absent.
    await fixtures.query(`INSERT INTO auth.oidc_models (model, id, payload, grant_id, expires_at) VALUES ('AuthorizationCode', $1, $2, $3, now() + interval '1 minute') ON CONFLICT DO NOTHING`, [
      row!.id,
      JSON.stringify(row!.payload),
      row!.payload.grantId,
    ]);
    await expect(redeem(s.config, code)).rejects.toMatchObject({ error: 'invalid_grant' });

    const again = await authorizationUrl(s.config);
    await s.agent.follow(again.url.href);
    await s.agent.signIn(s.f.player.email, NEW_PASSWORD);
    const done = await s.agent.consent({ allow: true });
    expect((await redeem(s.config, { callback: new URL(done.callback!), verifier: again.verifier })).access_token).toBeDefined();
  });

  it('a sign-in checked before logout everywhere and finished by the browser after it is refused (session not found), not turned into a code', async () => {
    const s = await signInAtProvider();
    const browser = new PlayerAgent(stack.url);
    const { url } = await authorizationUrl(s.config);
    await browser.follow(url.href);
    const { action, fields } = browser.form('password-form');
    // The password is checked and the login handed to the library; the browser has not come back yet.
    const checked = await browser.send(action, { form: { ...fields, email: s.f.player.email, password: PASSWORD } });
    expect(checked.status).toBe(303);
    await nextSecond();
    await logoutEverywhere(s.f.player.email);

    // The sign-in dates from before the mark: its session is never written, so the consent page that
    // should follow finds none (without the sign-in's own time, it would date from the browser's return).
    const resumed = await browser.follow(checked.headers.get('location')!);
    expect(resumed.callback).toBeUndefined();
    expect(browser.lastStatus).toBe(400);
    expect(resumed.page).toContain('data-code="invalid_request"');
    expect(resumed.page).toContain('session not found');
  });
});

describe('a browser coming back for an account that is gone', () => {
  it('gets login_required at the cat (not a 500) when the account was deactivated between the sign-in and its return, then the login page', async () => {
    const f = await catWithPlayer(stack, fixtures, { asked: ['storage'], granted: ['storage'] });
    const registered = await registerClient(stack, f.developer.token, { cat_id: f.catId, client_name: 'Purr Web', redirect_uris: [REDIRECT] });
    const config = await oidc.discovery(new URL(stack.issuer), registered.client_id, registered.client_secret, oidc.ClientSecretBasic(registered.client_secret!), {
      execute: [oidc.allowInsecureRequests],
    });
    const browser = new PlayerAgent(stack.url);
    const { url } = await authorizationUrl(config);
    await browser.follow(url.href);
    const { action, fields } = browser.form('password-form');
    const checked = await browser.send(action, { form: { ...fields, email: f.player.email, password: PASSWORD } });
    expect(checked.status).toBe(303);

    await fixtures.query(`UPDATE auth.users SET role = 'admin' WHERE id = $1`, [f.developer.id]);
    const [developer] = (await fixtures.query(`SELECT email FROM auth.users WHERE id = $1`, [f.developer.id])) as { email: string }[];
    const deactivated = await request(stack.t.app).patch(`${API}/users/${f.player.id}`).set(bearer(await apiLogin(developer!.email))).send({ is_active: false });
    expect(deactivated.status).toBe(200);

    const resumed = await browser.follow(checked.headers.get('location')!);
    expect(resumed.callback).toBeDefined();
    const callback = new URL(resumed.callback!);
    expect(callback.searchParams.get('error')).toBe('login_required');
    expect(callback.searchParams.get('state')).toBe('st');
    // The dead session is not kept: the same browser is asked to sign in.
    const next = await browser.follow((await authorizationUrl(config)).url.href);
    expect(browser.lastStatus).toBe(200);
    expect(next.page).toContain('Sign in with Cat House');
  });
});
