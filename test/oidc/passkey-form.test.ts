import type * as OpenIdClient from 'openid-client' with { 'resolution-mode': 'import' };
import type { DataSource } from 'typeorm';
import { createRuntimeDataSource } from '../../src/db/runtime-data-source';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { testConfig } from '../support/env';
import { catWithPlayer, PlayerAgent, registerClient, startOidcStack, type OidcStack } from './support';

/**
 * The login page's passkey form without a browser (issue 26): what a forged post gets. The
 * ceremony itself is tested in Chromium (test/browser/oidc-passkey-pages.test.ts).
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

async function loginPage(): Promise<PlayerAgent> {
  const f = await catWithPlayer(stack, fixtures);
  const registered = await registerClient(stack, f.developer.token, { cat_id: f.catId, client_name: 'Purr Web', redirect_uris: [REDIRECT] });
  const config = await oidc.discovery(new URL(stack.issuer), registered.client_id, registered.client_secret, oidc.ClientSecretBasic(registered.client_secret!), {
    execute: [oidc.allowInsecureRequests],
  });
  const url = oidc.buildAuthorizationUrl(config, {
    redirect_uri: REDIRECT,
    scope: 'openid',
    code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()),
    code_challenge_method: 'S256',
  });
  const agent = new PlayerAgent(stack.url);
  await agent.follow(url.href);
  return agent;
}

it('shows the passkey form with its options made for this interaction, and its script allowed by hash in the CSP', async () => {
  const agent = await loginPage();
  const res = await agent.send(new URL(agent.form('passkey-form').action.replace(/\/login\/passkey$/, ''), stack.url).href);
  const html = await res.text();
  expect(html).toContain('id="passkey-form"');
  expect(html).toMatch(/<div class="passkey" hidden data-options="[^"]*&quot;challenge&quot;/);
  expect(html).toContain('<noscript>');
  expect(res.headers.get('content-security-policy')).toMatch(/script-src 'sha256-[A-Za-z0-9+/]+=*'/);
});

it.each([
  ['no assertion', ''],
  ['not JSON', 'not json'],
  ['JSON of the wrong shape', JSON.stringify({ id: 'x', type: 'public-key', response: { clientDataJSON: 1 } })],
  ['null', 'null'],
])('a forged passkey post (%s) shows the page again with 400 invalid_request, nobody signed in', async (_name, assertion) => {
  const agent = await loginPage();
  const { action, fields } = agent.form('passkey-form');
  const answer = await agent.follow(action, { form: { ...fields, assertion } });
  expect(agent.lastStatus).toBe(400);
  expect(answer.callback).toBeUndefined();
  expect(answer.page).toContain('data-code="invalid_request"');
  expect(answer.page).toContain('Sign in with Cat House');
});

it('an assertion of an unknown passkey is refused with 401 invalid_credentials on the page', async () => {
  const agent = await loginPage();
  const { action, fields } = agent.form('passkey-form');
  const b64 = (s: string) => Buffer.from(s).toString('base64url');
  const assertion = JSON.stringify({
    id: b64('unknown'),
    rawId: b64('unknown'),
    type: 'public-key',
    response: { clientDataJSON: b64('{}'), authenticatorData: b64('x'), signature: b64('x') },
    clientExtensionResults: {},
  });
  const answer = await agent.follow(action, { form: { ...fields, assertion } });
  expect(agent.lastStatus).toBe(401);
  expect(answer.page).toContain('data-code="invalid_credentials"');
});
