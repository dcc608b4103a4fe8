/**
 * Guests through the package when the service asks for a CAPTCHA (issue 30): `asGuest(token)` and
 * `withGuestUpgrade(..., { captcha_token, locale })` carry what the service asks for, against the
 * real service on a real port and a siteverify stand-in on loopback, under Node like the mobile app.
 */
import { asGuest, createAuthClient, memoryStorage, withGuestUpgrade, type AuthClient } from '../src/index.js';
import { RunningAuthService } from '../../../test/browser/support/auth-service.js';
import { startSiteverifyServer } from '../../../test/support/abuse-servers.js';
import { createTestDatabase, type TestDatabase } from '../../../test/support/database.js';

const SECRET = '0x4AAAAAAAtestsecret';
const HOST = 'app.cathouse.example';

let db: TestDatabase;
let siteverify: Awaited<ReturnType<typeof startSiteverifyServer>>;
let service: RunningAuthService;
let auth: AuthClient;

beforeAll(async () => {
  [db, siteverify] = await Promise.all([createTestDatabase(), startSiteverifyServer(SECRET)]);
  service = new RunningAuthService({
    databaseUrl: db.url,
    env: { CAPTCHA_PROVIDER: 'turnstile', CAPTCHA_SECRET: SECRET, CAPTCHA_SITE_KEY: '0x4AAAAAAAtestsitekey', CAPTCHA_VERIFY_URL: siteverify.url, CAPTCHA_HOSTNAMES: HOST },
  });
  await service.start();
  auth = createAuthClient({ baseUrl: service.apiBase, storage: memoryStorage(), crossTab: false });
});
afterAll(async () => {
  auth?.close();
  await service?.close();
  await siteverify?.close();
  await db?.drop();
});

it('a guest needs the guest widget token, and its upgrade the register one; the upgrade keeps the id and the chosen locale', async () => {
  await expect(auth.signIn(asGuest())).rejects.toMatchObject({ code: 'captcha_required', status: 400 });
  const guest = await auth.signIn(asGuest(siteverify.issue({ hostname: HOST, action: 'guest' })));
  expect(guest.is_anonymous).toBe(true);
  const email = `guest-${Date.now().toString(36)}@cathouse.example`;
  const password = 'correct horse battery staple';
  await expect(auth.signIn(withGuestUpgrade(await auth.getAccessToken(), { email, password }))).rejects.toMatchObject({ code: 'captcha_required' });
  const player = await auth.signIn(withGuestUpgrade(await auth.getAccessToken(), { email, password, captcha_token: siteverify.issue({ hostname: HOST, action: 'register' }), locale: 'es' }));
  expect(player).toMatchObject({ id: guest.id, email, is_anonymous: false, locale: 'es' });
});
