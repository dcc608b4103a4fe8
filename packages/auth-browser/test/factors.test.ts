/**
 * Second factors through the client (issue 26), against the real service on a real port, under
 * Node like the mobile app: the authenticator app set up, a password sign-in answered with
 * `mfa_required` and completed with `withMfa`, and a step-up that stores the session's new access
 * token. Codes are computed here from the secret, as the app would show them. Passkeys through the
 * same calls are proven in Chromium (test/factors/passkeys.test.ts drives the same JSON).
 */
import { Secret, TOTP } from 'otpauth';
import { AuthError, confirmTotp, createAuthClient, enrolTotp, memoryStorage, stepUp, withMfa, withPassword, type AuthClient } from '../src/index.js';
import { RunningAuthService } from '../../../test/browser/support/auth-service.js';
import { createTestDatabase, type TestDatabase } from '../../../test/support/database.js';

const PASSWORD = 'correct horse battery staple';
let db: TestDatabase;
let service: RunningAuthService;
const clients: AuthClient[] = [];

beforeAll(async () => {
  db = await createTestDatabase();
  service = new RunningAuthService({ databaseUrl: db.url });
  await service.start();
});
afterAll(async () => {
  for (const client of clients.splice(0)) client.close();
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
