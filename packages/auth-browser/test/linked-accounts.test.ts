/**
 * The account's links to the outside through `auth.account`, against the real service on a real
 * port, under Node like the mobile app: provider identities (an Apple stand-in on loopback issuing
 * real signed ID tokens, verified against its JWKS over HTTP) linked while signed in and unlinked,
 * and the cats' apps the player let in through the OpenID provider (a real authorization request
 * built by openid-client, the provider's own login and consent pages) listed and disconnected.
 */
import type * as OpenIdClient from 'openid-client' with { 'resolution-mode': 'import' };
import type { DataSource } from 'typeorm';
import { createAuthClient, memoryStorage, withIdToken, type AuthClient } from '../src/index.js';
import { createRuntimeDataSource } from '../../../src/db/runtime-data-source.js';
import { appleClaims, rawNonce, StandInProvider } from '../../../test/federation/stand-in-provider.js';
import { catWithPlayer, PlayerAgent, registerClient, startOidcStack, type OidcStack } from '../../../test/oidc/support.js';
import { createTestDatabase, type TestDatabase } from '../../../test/support/database.js';
import { testConfig } from '../../../test/support/env.js';

const PASSWORD = 'correct horse battery staple';
const APPLE_CLIENT = 'com.cathouse.app';
const REDIRECT = 'https://cat.example/callback';
let db: TestDatabase;
let fixtures: DataSource;
let apple: StandInProvider;
let stack: OidcStack;
let oidc: typeof OpenIdClient;
const clients: AuthClient[] = [];

beforeAll(async () => {
  oidc = await import('openid-client');
  db = await createTestDatabase();
  fixtures = createRuntimeDataSource(db.url, testConfig().db);
  await fixtures.initialize();
  apple = await StandInProvider.start('apple');
  stack = await startOidcStack(db.url, { APPLE_CLIENT_IDS: APPLE_CLIENT, APPLE_ISSUER: apple.issuer, APPLE_JWKS_URI: apple.jwksUri });
});
afterAll(async () => {
  for (const client of clients.splice(0)) client.close();
  await stack?.close();
  await apple?.close();
  await fixtures?.destroy();
  await db?.drop();
});

function device(): AuthClient {
  const client = createAuthClient({ baseUrl: `${stack.url}/api/v1/auth`, storage: memoryStorage(), crossTab: false });
  clients.push(client);
  return client;
}

const newEmail = (label: string) => `${label}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}@cathouse.example`;

/** A fresh Apple ID token for the Apple account `sub` and the raw nonce it was made for, as the app gets them from the SDK. */
async function appleToken(sub: string): Promise<{ idToken: string; nonce: string }> {
  const nonce = rawNonce();
  return { idToken: await apple.sign(appleClaims(apple, APPLE_CLIENT, nonce, { sub })), nonce };
}

const newAppleSub = () => `001234.${Math.random().toString(16).slice(2)}.0612`;

describe('auth.account: linked identities', () => {
  it('listIdentities, linkIdentity, listIdentities: the Apple account is linked; another account cannot link it (identity_in_use)', async () => {
    const auth = device();
    await auth.register({ email: newEmail('link'), password: PASSWORD });
    await expect(auth.account.listIdentities()).resolves.toEqual([]);

    const sub = newAppleSub();
    const { idToken, nonce } = await appleToken(sub);
    const linked = await auth.account.linkIdentity('apple', idToken, nonce);
    expect(linked).toMatchObject({ id: expect.any(String), provider: 'apple', is_private_email: true });
    await expect(auth.account.listIdentities()).resolves.toEqual([linked]);

    const other = device();
    await other.register({ email: newEmail('other'), password: PASSWORD });
    const again = await appleToken(sub);
    await expect(other.account.linkIdentity('apple', again.idToken, again.nonce)).rejects.toMatchObject({ code: 'identity_in_use', status: 409 });
    await expect(other.account.listIdentities()).resolves.toEqual([]);
  });

  it('unlinkIdentity removes it from the list; the last way into an account without a password is refused (last_identity)', async () => {
    const auth = device();
    await auth.register({ email: newEmail('unlink'), password: PASSWORD });
    const { idToken, nonce } = await appleToken(newAppleSub());
    const linked = await auth.account.linkIdentity('apple', idToken, nonce);
    await expect(auth.account.listIdentities()).resolves.toEqual([linked]);
    await expect(auth.account.unlinkIdentity(linked.id)).resolves.toBeUndefined();
    await expect(auth.account.listIdentities()).resolves.toEqual([]);
    await expect(auth.account.unlinkIdentity(linked.id)).rejects.toMatchObject({ code: 'not_found', status: 404 });

    // An account made by Sign in with Apple has no password: its only identity stays.
    const phone = device();
    const first = await appleToken(newAppleSub());
    await phone.signIn(withIdToken('apple', first.idToken, first.nonce));
    const [only] = await phone.account.listIdentities();
    await expect(phone.account.unlinkIdentity(only!.id)).rejects.toMatchObject({ code: 'last_identity', status: 409 });
    await expect(phone.account.listIdentities()).resolves.toEqual([only]);
  });
});

describe('auth.account: connected apps (Sign in with Cat House)', () => {
  it('listConnectedApps shows the app the player consented to; disconnectApp removes it and its refresh token stops working', async () => {
    const f = await catWithPlayer(stack, fixtures, { asked: ['storage'], granted: ['storage'] });
    const registered = await registerClient(stack, f.developer.token, { cat_id: f.catId, client_name: 'Purr Web', redirect_uris: [REDIRECT] });
    const auth = device();
    await auth.login(f.player.email, PASSWORD);
    await expect(auth.account.listConnectedApps()).resolves.toEqual([]);

    // The player signs in with Cat House on the cat's site: the provider's login and consent pages.
    const config = await oidc.discovery(new URL(stack.issuer), registered.client_id, registered.client_secret, oidc.ClientSecretBasic(registered.client_secret!), {
      execute: [oidc.allowInsecureRequests],
    });
    const verifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: REDIRECT,
      scope: 'openid offline_access cathouse:storage',
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
      prompt: 'consent',
    });
    const browser = new PlayerAgent(stack.url);
    await browser.follow(url.href);
    await browser.signIn(f.player.email, PASSWORD);
    const { callback } = await browser.consent({ allow: true });
    const tokens = await oidc.authorizationCodeGrant(config, new URL(callback!), { pkceCodeVerifier: verifier, expectedState: state });

    const apps = await auth.account.listConnectedApps();
    expect(apps).toEqual([
      expect.objectContaining({
        client_id: registered.client_id,
        client_name: 'Purr Web',
        cat: { id: f.catId, name: expect.any(String) },
        installation: expect.objectContaining({ id: f.installationId, status: 'active' }),
        scopes: ['openid', 'offline_access', 'cathouse:storage'],
        permissions: ['storage'],
      }),
    ]);

    await expect(auth.account.disconnectApp(apps[0]!.id)).resolves.toBeUndefined();
    await expect(auth.account.listConnectedApps()).resolves.toEqual([]);
    await expect(oidc.refreshTokenGrant(config, tokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
    await expect(auth.account.disconnectApp(apps[0]!.id)).rejects.toMatchObject({ code: 'not_found', status: 404 });
  });
});
