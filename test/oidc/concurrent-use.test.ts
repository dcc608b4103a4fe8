import type * as OpenIdClient from 'openid-client' with { 'resolution-mode': 'import' };
import type { DataSource } from 'typeorm';
import { createRuntimeDataSource } from '../../src/db/runtime-data-source';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { asServiceRole, testConfig } from '../support/env';
import { startPgBouncer, type PgBouncer } from '../support/pgbouncer';
import { catWithPlayer, PlayerAgent, registerClient, startOidcStack, type CatFixture, type OidcStack } from './support';

/**
 * One code or one refresh token sent twice at the same moment (a double-click, two tabs, or an
 * attacker racing the client), through PgBouncer as the auth role: the library checks `consumed`
 * and then marks it, so without an atomic mark both requests would pass the check. The adapter's
 * consume is one conditional UPDATE: exactly one request wins; a raced code also revokes what the
 * winner got (RFC 6749 §4.1.2).
 */
let db: TestDatabase;
let bouncer: PgBouncer;
let stack: OidcStack;
let fixtures: DataSource;
let oidc: typeof OpenIdClient;
let f: CatFixture;
let config: OpenIdClient.Configuration;
const REDIRECT = 'https://cat.example/callback';

beforeAll(async () => {
  oidc = await import('openid-client');
  db = await createTestDatabase();
  fixtures = createRuntimeDataSource(db.url, testConfig().db);
  await fixtures.initialize();
  bouncer = await startPgBouncer(asServiceRole(db.url, 'auth'), { poolSize: 4 });
  stack = await startOidcStack(bouncer.url, { DB_POOL_MAX: '8' });
  f = await catWithPlayer(stack, fixtures, { asked: ['storage'], granted: ['storage'] });
  const c = await registerClient(stack, f.developer.token, { cat_id: f.catId, client_name: 'Purr App', redirect_uris: [REDIRECT], token_endpoint_auth_method: 'none' });
  config = await oidc.discovery(new URL(stack.issuer), c.client_id, undefined, oidc.None(), { execute: [oidc.allowInsecureRequests] });
});
afterAll(async () => {
  await stack?.close();
  await bouncer?.stop();
  await fixtures?.destroy();
  await db?.drop();
});

async function code() {
  const verifier = oidc.randomPKCECodeVerifier();
  const url = oidc.buildAuthorizationUrl(config, { redirect_uri: REDIRECT, scope: 'openid offline_access cathouse:storage', prompt: 'consent', code_challenge: await oidc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256', state: 'st' });
  const agent = new PlayerAgent(stack.url);
  await agent.follow(url.href);
  await agent.signIn(f.player.email);
  const done = await agent.consent({ allow: true });
  return { callback: new URL(done.callback!), verifier };
}

const settle = <T>(promises: Promise<T>[]) => Promise.allSettled(promises);

it('one code exchanged twice at once: one answer, and the tokens it gave are revoked', async () => {
  for (let round = 0; round < 3; round++) {
    const { callback, verifier } = await code();
    const results = await settle([0, 1].map(() => oidc.authorizationCodeGrant(config, callback, { pkceCodeVerifier: verifier, expectedState: 'st' })));
    const won = results.filter((r) => r.status === 'fulfilled');
    expect(won).toHaveLength(1);
    expect(results.find((r) => r.status === 'rejected')).toMatchObject({ reason: { error: 'invalid_grant' } });
    const tokens = (won[0] as PromiseFulfilledResult<OpenIdClient.TokenEndpointResponse>).value;
    await expect(oidc.refreshTokenGrant(config, tokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
  }
});

it('one refresh token used twice at once: one new token, never two', async () => {
  for (let round = 0; round < 3; round++) {
    const { callback, verifier } = await code();
    const tokens = await oidc.authorizationCodeGrant(config, callback, { pkceCodeVerifier: verifier, expectedState: 'st' });
    const results = await settle([0, 1].map(() => oidc.refreshTokenGrant(config, tokens.refresh_token!)));
    const won = results.filter((r) => r.status === 'fulfilled');
    expect(won).toHaveLength(1);
    expect(results.find((r) => r.status === 'rejected')).toMatchObject({ reason: { error: 'invalid_grant' } });
    // Whether the winner's new token still works depends on timing: a true race leaves it working
    // (the adapter's conditional UPDATE), a second request that arrives after the first committed
    // is reuse, which the library answers by revoking the grant. Either way there is one family.
  }
});
