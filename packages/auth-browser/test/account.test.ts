/**
 * Every account endpoint of the service as one call of `auth.account`, against the real service
 * on a real port with its mail sender and a real SMTP server (the links' tokens come from the
 * mails), under Node like the mobile app. The snapshot (what React and zustand read) follows.
 */
import { AuthError, createAuthClient, memoryStorage, type AuthClient, type AuthEvents } from '../src/index.js';
import { RunningAuthService, sessionIdOf } from '../../../test/browser/support/auth-service.js';
import { createTestDatabase, type TestDatabase } from '../../../test/support/database.js';
import { startSmtpServer, type TestSmtpServer } from '../../../test/support/smtp.js';

const PASSWORD = 'correct horse battery staple';

let db: TestDatabase;
let smtp: TestSmtpServer;
let service: RunningAuthService;
let counter = 0;
const clients: AuthClient[] = [];

beforeAll(async () => {
  db = await createTestDatabase();
  smtp = await startSmtpServer();
  service = new RunningAuthService({
    databaseUrl: db.url,
    mail: true,
    env: { SMTP_URL: smtp.url, APP_URL: 'https://app.cathouse.example', MAIL_POLL_INTERVAL_MS: '100' },
  });
  await service.start();
});

afterAll(async () => {
  for (const client of clients.splice(0)) client.close();
  await service?.close();
  await smtp?.stop();
  await db?.drop();
});

/** A device of its own (its own storage, no cross-tab coordination: Node, like the mobile app). */
function device(): AuthClient {
  const client = createAuthClient({ baseUrl: service.apiBase, storage: memoryStorage(), crossTab: false });
  clients.push(client);
  return client;
}

const newEmail = () => `account-${++counter}-${Date.now().toString(36)}@cathouse.example`;

async function signedUp(name?: string) {
  const auth = device();
  const email = newEmail();
  await auth.register({ email, password: PASSWORD, name });
  return { auth, email };
}

async function verified() {
  const { auth, email } = await signedUp();
  const mail = await smtp.waitFor(email, /Confirm your email/);
  await auth.account.verifyEmail(mail.token!);
  return { auth, email };
}

describe('auth.account: every account endpoint is one call', () => {
  it("register takes the frontend's name as display_name; the user has email_verified", async () => {
    const { auth, email } = await signedUp('Mia');
    expect(auth.getSnapshot()).toMatchObject({ status: 'signedIn', user: { email, display_name: 'Mia', email_verified: false } });
  });

  it('verifyEmail with the mailed token marks the address verified and reloads the signed-in user', async () => {
    const { auth } = await verified();
    expect(auth.getSnapshot().user?.email_verified).toBe(true);
  });

  it('resendVerificationEmail mails a new link; a verified address gets already_verified', async () => {
    const { auth, email } = await signedUp();
    await smtp.waitFor(email, /Confirm your email/);
    await expect(auth.account.resendVerificationEmail()).resolves.toMatchObject({ status: 'accepted' });
    await pollMails(email, 2);
    await auth.account.verifyEmail(smtp.mailsTo(email).at(-1)!.token!);
    await expect(auth.account.resendVerificationEmail()).rejects.toMatchObject({ code: 'already_verified', status: 409 });
  });

  it('requestPasswordReset and resetPassword: the new password works, every session of the user ends', async () => {
    const { auth, email } = await signedUp();
    const signedOut: Array<AuthEvents['signedOut']> = [];
    auth.on('signedOut', (e) => signedOut.push(e));
    const stranger = device();
    await expect(stranger.account.requestPasswordReset(email)).resolves.toMatchObject({ status: 'accepted' });
    const mail = await smtp.waitFor(email, /password/i);
    await stranger.account.resetPassword(mail.token!, 'a brand new passphrase');
    await expect(auth.getAccessToken({ rejectedToken: (await auth.getAccessToken()) })).rejects.toMatchObject({ code: 'signed_out' });
    expect(signedOut).toEqual([{ reason: 'session_ended', fromOtherTab: false }]);
    await expect(device().login(email, 'a brand new passphrase')).resolves.toMatchObject({ email });
    await expect(stranger.account.resetPassword(mail.token!, 'another new passphrase')).rejects.toMatchObject({ code: 'link_invalid' });
  });

  it('changePassword keeps this session and ends the other devices', async () => {
    const { auth, email } = await signedUp();
    const phone = device();
    await phone.login(email, PASSWORD);
    await auth.account.changePassword(PASSWORD, 'a brand new passphrase');
    await expect(auth.reload()).resolves.toMatchObject({ email });
    await expect(phone.getAccessToken({ rejectedToken: await phone.getAccessToken() })).rejects.toMatchObject({ code: 'signed_out' });
    await expect(auth.account.changePassword('wrong', 'another new passphrase')).rejects.toMatchObject({ code: 'invalid_credentials' });
  });

  it('changeEmail mails the new address; verifyEmail of that link changes it in the signed-in user', async () => {
    const { auth } = await signedUp();
    const next = newEmail();
    await expect(auth.account.changeEmail(next, PASSWORD)).resolves.toMatchObject({ status: 'accepted' });
    const mail = await smtp.waitFor(next);
    await expect(auth.account.verifyEmail(mail.token!)).resolves.toEqual({ email: next, email_verified: true });
    expect(auth.getSnapshot().user).toMatchObject({ email: next, email_verified: true });
  });

  it('updateProfile sets and clears the display name (name or display_name) and the snapshot shows it', async () => {
    const { auth } = await signedUp();
    const updates: unknown[] = [];
    auth.subscribe((snapshot) => updates.push(snapshot.user?.display_name));
    await expect(auth.account.updateProfile({ name: 'Tofu' })).resolves.toMatchObject({ display_name: 'Tofu' });
    await auth.account.updateProfile({ display_name: null });
    expect(updates).toEqual(['Tofu', null]);
    await expect(auth.account.updateProfile({ display_name: '' })).rejects.toBeInstanceOf(AuthError);
  });

  it('register({ locale }) and updateProfile({ locale }) choose the language of the mail (issue 30)', async () => {
    const auth = device();
    const email = newEmail();
    await auth.register({ email, password: PASSWORD, locale: 'es' });
    await smtp.waitFor(email, /Confirma tu dirección de correo/);
    await expect(auth.account.updateProfile({ locale: 'en' })).resolves.toMatchObject({ locale: 'en' });
    await auth.account.requestPasswordReset(email);
    await smtp.waitFor(email, /Reset your password/);
  });

  it('reload() shows a change made on another device', async () => {
    const { auth, email } = await signedUp();
    const laptop = device();
    await laptop.login(email, PASSWORD);
    await laptop.account.updateProfile({ name: 'Mochi' });
    expect(auth.getSnapshot().user?.display_name).toBeNull();
    await expect(auth.reload()).resolves.toMatchObject({ display_name: 'Mochi' });
    expect(auth.getSnapshot().user?.display_name).toBe('Mochi');
  });

  it('becomeDeveloper: refused until verified, then a developer token for the same session, refresh token kept', async () => {
    const { auth: unverified } = await signedUp();
    await expect(unverified.account.becomeDeveloper()).rejects.toMatchObject({ code: 'email_not_verified', status: 403 });
    const { auth } = await verified();
    const sid = auth.sessionId();
    await expect(auth.account.becomeDeveloper()).resolves.toMatchObject({ role: 'developer' });
    expect(auth.getSnapshot().user?.role).toBe('developer');
    const token = await auth.getAccessToken();
    expect(sessionIdOf(token)).toBe(sid);
    expect(JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()).role).toBe('developer');
    // The refresh token it kept still works: a forced refresh keeps the session and the role.
    const refreshed = await auth.getAccessToken({ rejectedToken: token });
    expect(sessionIdOf(refreshed)).toBe(sid);
  });

  it('listSessions marks this one; endSession ends another device, or this one (signed out here)', async () => {
    const { auth, email } = await signedUp();
    const phone = device();
    await phone.login(email, PASSWORD);
    const sessions = await auth.account.listSessions();
    expect(sessions).toHaveLength(2);
    expect(sessions.find((s) => s.current)?.id).toBe(auth.sessionId());
    // The most recently used one only (the phone signed in last).
    expect((await auth.account.listSessions({ limit: 1 })).map((s) => s.id)).toEqual([phone.sessionId()]);
    await auth.account.endSession(phone.sessionId()!);
    await expect(phone.getAccessToken({ rejectedToken: await phone.getAccessToken() })).rejects.toMatchObject({ code: 'signed_out' });
    const ended: Array<AuthEvents['signedOut']> = [];
    auth.on('signedOut', (e) => ended.push(e));
    await auth.account.endSession(auth.sessionId()!);
    expect(ended).toEqual([{ reason: 'logout', fromOtherTab: false }]);
    expect(auth.getSnapshot()).toMatchObject({ status: 'signedOut', reason: 'logout' });
  });

  it('listEvents pages through the security history, newest first', async () => {
    const { auth, email } = await signedUp();
    await device().login(email, PASSWORD);
    const page = await auth.account.listEvents({ limit: 1 });
    expect(page.events).toHaveLength(1);
    expect(page.next_before).not.toBeNull();
    const rest = await auth.account.listEvents({ before: page.next_before! });
    expect(page.events.map((e) => e.type)).toEqual(['login_succeeded']);
    expect(rest.events.map((e) => e.type)).toEqual(['user_registered']);
  });

  it("logout({ scope: 'others' }) ends the other devices and keeps this one", async () => {
    const { auth, email } = await signedUp();
    const phone = device();
    await phone.login(email, PASSWORD);
    await expect(auth.logout({ scope: 'others' })).resolves.toEqual({ revoked: true });
    expect(auth.getSnapshot().status).toBe('signedIn');
    await expect(auth.getAccessToken({ rejectedToken: await auth.getAccessToken() })).resolves.toEqual(expect.any(String));
    await expect(phone.getAccessToken({ rejectedToken: await phone.getAccessToken() })).rejects.toMatchObject({ code: 'signed_out' });
  });

  it('deleteAccount asks for the password, signs out (account_deleted) and the account never logs in again', async () => {
    const { auth, email } = await signedUp();
    await expect(auth.account.deleteAccount('wrong')).rejects.toMatchObject({ code: 'invalid_credentials' });
    await auth.account.deleteAccount(PASSWORD);
    expect(auth.getSnapshot()).toMatchObject({ status: 'signedOut', user: null, reason: 'account_deleted' });
    await expect(device().login(email, PASSWORD)).rejects.toMatchObject({ code: 'invalid_credentials' });
  });

  it('a call that needs a session rejects with signed_out when there is none', async () => {
    await expect(device().account.listSessions()).rejects.toMatchObject({ code: 'signed_out' });
  });
});

async function pollMails(email: string, count: number): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (smtp.mailsTo(email).length < count) {
    if (Date.now() > deadline) throw new Error(`expected ${count} mails to ${email}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
