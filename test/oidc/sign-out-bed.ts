import type * as OpenIdClient from 'openid-client' with { 'resolution-mode': 'import' };
import type { DataSource } from 'typeorm';
import { createRuntimeDataSource } from '../../src/db/runtime-data-source';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { testConfig } from '../support/env';
import { startSmtpServer, type TestSmtpServer } from '../support/smtp';
import { catWithPlayer, PlayerAgent, registerClient, startOidcStack, type CatFixture, type OidcStack } from './support';

/**
 * What the tests of ending a user's sessions at the provider share (sso-session-ending.test.ts,
 * codes-after-sign-out.test.ts): the provider with mail, a fixtures connection, openid-client, and
 * a player signed in at the login page with a cat connected.
 */
export const REDIRECT = 'https://cat.example/callback';
export const API = '/api/v1/auth';
export const NEW_PASSWORD = 'a different horse battery staple';

export interface SignOutBed {
  readonly db: TestDatabase;
  readonly smtp: TestSmtpServer;
  readonly stack: OidcStack;
  readonly fixtures: DataSource;
  readonly oidc: typeof OpenIdClient;
}

export interface SignedIn {
  f: CatFixture;
  config: OpenIdClient.Configuration;
  agent: PlayerAgent;
  tokens: OpenIdClient.TokenEndpointResponse;
}

/** Starts the bed before the file's tests and stops it after them. */
export function useSignOutBed(): SignOutBed {
  let bed: { -readonly [K in keyof SignOutBed]?: SignOutBed[K] } = {};
  beforeAll(async () => {
    const oidc = await import('openid-client');
    const db = await createTestDatabase();
    const smtp = await startSmtpServer();
    const fixtures = createRuntimeDataSource(db.url, testConfig().db);
    await fixtures.initialize();
    const stack = await startOidcStack(db.url, { SMTP_URL: smtp.url, APP_URL: 'https://app.cathouse.example', MAIL_POLL_INTERVAL_MS: '100' }, { mail: true });
    bed = { oidc, db, smtp, fixtures, stack };
  });
  afterAll(async () => {
    await bed.stack?.close();
    await bed.smtp?.stop();
    await bed.fixtures?.destroy();
    await bed.db?.drop();
  });
  const get = <K extends keyof SignOutBed>(key: K): SignOutBed[K] => {
    const value = bed[key];
    if (value === undefined) throw new Error(`the sign-out bed's ${key} is used before beforeAll`);
    return value as SignOutBed[K];
  };
  return {
    get db() {
      return get('db');
    },
    get smtp() {
      return get('smtp');
    },
    get stack() {
      return get('stack');
    },
    get fixtures() {
      return get('fixtures');
    },
    get oidc() {
      return get('oidc');
    },
  };
}

/** An authorization request of `config`'s client for a refresh token (offline_access), with its PKCE verifier. */
export async function authorizationUrl(bed: SignOutBed, config: OpenIdClient.Configuration, prompt?: string): Promise<{ url: URL; verifier: string }> {
  const { oidc } = bed;
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

/** A player signs in at the provider's login page in `agent` and connects a cat (offline_access: a refresh token). */
export async function signInAtProvider(bed: SignOutBed): Promise<SignedIn> {
  const { stack, fixtures, oidc } = bed;
  const f = await catWithPlayer(stack, fixtures, { asked: ['storage'], granted: ['storage'] });
  const registered = await registerClient(stack, f.developer.token, { cat_id: f.catId, client_name: 'Purr Web', redirect_uris: [REDIRECT] });
  const config = await oidc.discovery(new URL(stack.issuer), registered.client_id, registered.client_secret, oidc.ClientSecretBasic(registered.client_secret!), {
    execute: [oidc.allowInsecureRequests],
  });
  const { url, verifier } = await authorizationUrl(bed, config, 'consent');
  const agent = new PlayerAgent(stack.url);
  await agent.follow(url.href);
  await agent.signIn(f.player.email);
  const done = await agent.consent({ allow: true });
  const tokens = await oidc.authorizationCodeGrant(config, new URL(done.callback!), { pkceCodeVerifier: verifier, expectedState: 'st' });
  expect(tokens.refresh_token).toBeDefined();
  return { f, config, agent, tokens };
}
