/**
 * Second factors through the client (issue 26), against the real service on a real port, under
 * Node like the mobile app: the authenticator app set up, a password sign-in answered with
 * `mfa_required` and completed with `withMfa`, and a step-up that stores the session's new access
 * token. Codes are computed here from the secret, as the app would show them. The security page's
 * calls (`@cathouse/auth-browser/factors`): list, new recovery codes, removing the authenticator app,
 * renaming and deleting a passkey, each asking for a step-up where the service does. The passkey is
 * made by real Chromium's virtual authenticator, on a page of the service's origin, passed to the
 * client as its PasskeyAdapter (as react-native-passkeys would be in the app).
 */
import { Secret, TOTP } from 'otpauth';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { AuthError, confirmTotp, createAuthClient, enrolTotp, memoryStorage, stepUp, withMfa, withPassword, type AuthClient, type PasskeyAdapter } from '../src/index.js';
import { deletePasskey, deleteTotp, listFactors, regenerateRecoveryCodes, registerPasskey, renamePasskey } from '../src/factors.js';
import { RunningAuthService } from '../../../test/browser/support/auth-service.js';
import { launchChromium } from '../../../test/browser/support/chromium.js';
import { passkeyAssertion, passkeyCreation, tabWithAuthenticator } from '../../../test/browser/support/passkey-pages.js';
import { createTestDatabase, type TestDatabase } from '../../../test/support/database.js';
import { findFreePort } from '../../../test/support/ports.js';

const PASSWORD = 'correct horse battery staple';
let db: TestDatabase;
let service: RunningAuthService;
let browser: Browser;
const clients: AuthClient[] = [];
const contexts: BrowserContext[] = [];

beforeAll(async () => {
  db = await createTestDatabase();
  // The WebAuthn origin and RP id come from APP_URL: the service's own origin, where the passkey page is.
  const port = await findFreePort();
  service = new RunningAuthService({ databaseUrl: db.url, port, env: { APP_URL: `http://localhost:${port}` } });
  await service.start();
  browser = await launchChromium();
});
afterAll(async () => {
  for (const client of clients.splice(0)) client.close();
  for (const context of contexts.splice(0)) await context.close();
  await browser?.close();
  await service?.close();
  await db?.drop();
});

function device(): AuthClient {
  const client = createAuthClient({ baseUrl: service.apiBase, storage: memoryStorage(), crossTab: false });
  clients.push(client);
  return client;
}

const code = (secret: string, offsetSteps = 0) =>
  new TOTP({ secret: Secret.fromBase32(secret), algorithm: 'SHA1', digits: 6, period: 30 }).generate({ timestamp: Date.now() + offsetSteps * 30_000 });

const claims = (token: string) => JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as { amr: string[]; auth_time: number; sid: string };

it('sets up the authenticator app, signs in with password + code, and steps up with a recovery code', async () => {
  const email = `factors-${Date.now().toString(36)}@cathouse.example`;
  const phone = device();
  await phone.register({ email, password: PASSWORD });
  const { secret, otpauth_uri } = await enrolTotp(phone);
  expect(otpauth_uri).toMatch(/^otpauth:\/\/totp\//);
  const { recovery_codes } = await confirmTotp(phone, code(secret));
  expect(recovery_codes).toHaveLength(10);

  const laptop = device();
  const refused = await laptop.signIn(withPassword(email, PASSWORD)).catch((e: unknown) => e);
  expect(refused).toBeInstanceOf(AuthError);
  const error = refused as AuthError;
  expect(error.code).toBe('mfa_required');
  expect(error.data?.factors).toEqual(['totp', 'recovery_code']);
  // The next step's code: the one just used to confirm may not be used again.
  const user = await laptop.signIn(withMfa(String(error.data?.mfa_token), { totp_code: code(secret, 1) }));
  expect(user.email).toBe(email);
  const signedIn = claims(await laptop.getAccessToken());
  expect(signedIn.amr).toEqual(['pwd', 'otp', 'mfa']);

  // The phone's session (the registration's) proved no factor: a password change asks it to step up first.
  const stale = await phone.account.changePassword(PASSWORD, 'a brand new passphrase').catch((e: unknown) => e);
  expect((stale as AuthError).code).toBe('insufficient_user_authentication');
  expect((stale as AuthError).data?.factors).toEqual(['totp', 'recovery_code']);
  const before = claims(await phone.getAccessToken());
  await stepUp(phone, { recovery_code: recovery_codes![0]! });
  const after = claims(await phone.getAccessToken());
  expect(after.sid).toBe(before.sid);
  expect(after.amr).toContain('otp');
  await expect(phone.account.changePassword(PASSWORD, 'a brand new passphrase')).resolves.toBeUndefined();
});

/** A newly registered user (this session is its registration: a recent sign-in, no factor proven). */
async function newUser(label: string): Promise<AuthClient> {
  const client = device();
  await client.register({ email: `${label}-${Date.now().toString(36)}@cathouse.example`, password: PASSWORD });
  return client;
}

/** A user with an authenticator app: its client and the recovery codes shown once. */
async function withAuthenticator(label: string): Promise<{ client: AuthClient; recoveryCodes: string[] }> {
  const client = await newUser(label);
  const { secret } = await enrolTotp(client);
  const { recovery_codes } = await confirmTotp(client, code(secret));
  return { client, recoveryCodes: recovery_codes! };
}

/** What the service asks before a sensitive call from a session that proved no factor lately. */
const stepUpAsked = (action: string) => ({ code: 'insufficient_user_authentication', status: 401, data: expect.objectContaining({ action, factors: expect.any(Array) }) });

describe('the security page: @cathouse/auth-browser/factors', () => {
  it('listFactors: nothing before, then the authenticator app and ten recovery codes', async () => {
    const client = await newUser('list');
    await expect(listFactors(client)).resolves.toEqual({ factors: [], totp: { enabled: false }, passkeys: [], recovery_codes: { remaining: 0 } });
    const { secret } = await enrolTotp(client);
    await confirmTotp(client, code(secret));
    await expect(listFactors(client)).resolves.toEqual({ factors: ['totp', 'recovery_code'], totp: { enabled: true }, passkeys: [], recovery_codes: { remaining: 10 } });
  });

  it('regenerateRecoveryCodes asks for a step-up, then gives ten new codes: the list counts ten again, an old code no longer works', async () => {
    const { client, recoveryCodes } = await withAuthenticator('codes');
    await expect(regenerateRecoveryCodes(client)).rejects.toMatchObject(stepUpAsked('regenerate_recovery_codes'));
    await stepUp(client, { recovery_code: recoveryCodes[0]! });
    expect((await listFactors(client)).recovery_codes).toEqual({ remaining: 9 });

    const { recovery_codes } = await regenerateRecoveryCodes(client);
    expect(recovery_codes).toHaveLength(10);
    expect(recovery_codes.filter((c) => recoveryCodes.includes(c))).toEqual([]);
    expect((await listFactors(client)).recovery_codes).toEqual({ remaining: 10 });
    await expect(stepUp(client, { recovery_code: recoveryCodes[1]! })).rejects.toMatchObject({ code: 'invalid_credentials' });
    await expect(stepUp(client, { recovery_code: recovery_codes[0]! })).resolves.toBeUndefined();
  });

  it('deleteTotp asks for a step-up, then removes the authenticator app and, as the last factor, its recovery codes', async () => {
    const { client, recoveryCodes } = await withAuthenticator('totp-off');
    expect((await listFactors(client)).totp).toEqual({ enabled: true });
    await expect(deleteTotp(client)).rejects.toMatchObject(stepUpAsked('remove_factor'));
    await stepUp(client, { recovery_code: recoveryCodes[0]! });
    await expect(deleteTotp(client)).resolves.toBeUndefined();
    await expect(listFactors(client)).resolves.toEqual({ factors: [], totp: { enabled: false }, passkeys: [], recovery_codes: { remaining: 0 } });
    await expect(deleteTotp(client)).rejects.toMatchObject({ code: 'not_found', status: 404 });
  });

  /** A Chromium tab at the service's origin with a virtual platform authenticator, as the client's PasskeyAdapter. */
  async function authenticator(): Promise<PasskeyAdapter> {
    const { context, page } = await tabWithAuthenticator(browser, service.origin);
    contexts.push(context);
    const tab: Page = page;
    return { create: (options) => passkeyCreation(tab, options), get: (options) => passkeyAssertion(tab, options) };
  }

  it('renamePasskey renames a registered passkey (no step-up): the list shows the new name', async () => {
    const client = await newUser('rename');
    const { passkey, recovery_codes } = await registerPasskey(client, 'Laptop', await authenticator());
    expect(recovery_codes).toHaveLength(10);
    expect((await listFactors(client)).passkeys).toEqual([expect.objectContaining({ id: passkey.id, name: 'Laptop' })]);
    const renamed = await renamePasskey(client, passkey.id, 'Work laptop');
    expect(renamed).toMatchObject({ id: passkey.id, name: 'Work laptop' });
    expect((await listFactors(client)).passkeys).toEqual([expect.objectContaining({ id: passkey.id, name: 'Work laptop' })]);
  });

  it('deletePasskey asks for a step-up, which the passkey itself answers; then it is gone from the list with the recovery codes', async () => {
    const client = await newUser('passkey-off');
    const adapter = await authenticator();
    const { passkey } = await registerPasskey(client, 'Phone', adapter);
    expect(await listFactors(client)).toMatchObject({ factors: ['passkey', 'recovery_code'], passkeys: [{ id: passkey.id }] });
    await expect(deletePasskey(client, passkey.id)).rejects.toMatchObject(stepUpAsked('remove_factor'));
    await stepUp(client, { passkey: adapter });
    await expect(deletePasskey(client, passkey.id)).resolves.toBeUndefined();
    await expect(listFactors(client)).resolves.toEqual({ factors: [], totp: { enabled: false }, passkeys: [], recovery_codes: { remaining: 0 } });
  });
});
