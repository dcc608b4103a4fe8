import jwt from 'jsonwebtoken';
import request from 'supertest';
import { bearer, register, uniqueEmail } from '../auth/helpers';
import { ageSession, api, PASSWORD, totpCode, useFactorApp, userWithTotp, type FactorApp } from './support';

/**
 * Step-up (issue 26 §5): each sensitive action with a stale and with a fresh second factor. "Stale"
 * is a session whose last authentication is two hours old (STEP_UP_MAX_AGE_SECONDS is 600); a
 * step-up with the authenticator app's code makes it fresh without a new session.
 */
const sid = (token: string) => (jwt.decode(token) as { sid: string }).sid;

/** A user with an authenticator app and a stale session; `fresh()` steps up and gives the new access token. */
async function staleUser(f: FactorApp, label: string) {
  const user = await userWithTotp(f, label);
  await ageSession(f, sid(user.reg.access_token));
  const fresh = async () => {
    f.clock.step();
    const res = await request(f.t.app).post(api('/step-up')).set(bearer(user.reg.access_token)).send({ totp_code: totpCode(user.secret, f.clock.now) });
    if (res.status !== 200) throw new Error(`step-up answered ${res.status}: ${res.text}`);
    return res.body.access_token as string;
  };
  return { ...user, fresh };
}

/** Marks the email verified, as the mailed link would (becoming a developer needs it). */
const verified = (f: FactorApp, userId: string) => f.t.dataSource.query(`UPDATE auth.users SET email_verified_at = now() WHERE id = $1`, [userId]);

function expectStepUp(res: request.Response, action: string) {
  expect(res.status).toBe(401);
  expect(res.body).toMatchObject({ error: 'insufficient_user_authentication', action, max_age: 600, factors: ['totp', 'recovery_code'] });
  expect(res.headers['www-authenticate']).toContain('max_age="600"');
}

describe('step-up before sensitive actions', () => {
  const f = useFactorApp();

  it('changing the password', async () => {
    const u = await staleUser(f, 'pwd');
    const body = { current_password: PASSWORD, new_password: 'another long passphrase' };
    expectStepUp(await request(f.t.app).post(api('/password/change')).set(bearer(u.reg.access_token)).send(body), 'change_password');
    expect((await request(f.t.app).post(api('/password/change')).set(bearer(await u.fresh())).send(body)).status).toBe(204);
  });

  it('changing the email address', async () => {
    const u = await staleUser(f, 'email');
    const body = { new_email: uniqueEmail('new'), password: PASSWORD };
    expectStepUp(await request(f.t.app).post(api('/email/change')).set(bearer(u.reg.access_token)).send(body), 'change_email');
    expect((await request(f.t.app).post(api('/email/change')).set(bearer(await u.fresh())).send(body)).status).toBe(202);
  });

  it('deleting the account', async () => {
    const u = await staleUser(f, 'delete');
    expectStepUp(await request(f.t.app).delete(api('/me')).set(bearer(u.reg.access_token)).send({ password: PASSWORD }), 'delete_account');
    expect((await request(f.t.app).delete(api('/me')).set(bearer(await u.fresh())).send({ password: PASSWORD })).status).toBe(204);
  });

  it('becoming a developer', async () => {
    const u = await staleUser(f, 'dev');
    await verified(f, u.reg.user.id);
    expectStepUp(await request(f.t.app).post(api('/me/developer')).set(bearer(u.reg.access_token)), 'become_developer');
    expect((await request(f.t.app).post(api('/me/developer')).set(bearer(await u.fresh())).send()).status).toBe(200);
  });

  it("an admin changing a user's role", async () => {
    const admin = await staleUser(f, 'admin');
    await f.t.dataSource.query(`UPDATE auth.users SET role = 'admin' WHERE id = $1`, [admin.reg.user.id]);
    const target = await register(f.t.app, uniqueEmail('target'), PASSWORD);
    expectStepUp(await request(f.t.app).patch(api(`/users/${target.user.id}`)).set(bearer(admin.reg.access_token)).send({ role: 'developer' }), 'change_user');
    const done = await request(f.t.app).patch(api(`/users/${target.user.id}`)).set(bearer(await admin.fresh())).send({ role: 'developer' });
    expect(done.status).toBe(200);
    expect(done.body.role).toBe('developer');
  });

  it('creating and deleting OpenID clients', async () => {
    const dev = await staleUser(f, 'clients');
    await f.t.dataSource.query(`UPDATE auth.users SET role = 'developer' WHERE id = $1`, [dev.reg.user.id]);
    const body = { cat_id: '00000000-0000-4000-8000-000000000000', client_name: 'Purr', redirect_uris: ['https://cat.example/cb'] };
    expectStepUp(await request(f.t.app).post(api('/oidc/clients')).set(bearer(dev.reg.access_token)).send(body), 'manage_clients');
    expectStepUp(await request(f.t.app).delete(api('/oidc/clients/some-client')).set(bearer(dev.reg.access_token)), 'manage_clients');
    const fresh = await dev.fresh();
    // Past the step-up, the route's own rules answer (no such cat here).
    const created = await request(f.t.app).post(api('/oidc/clients')).set(bearer(fresh)).send(body);
    expect(created.body.error).not.toBe('insufficient_user_authentication');
    expect(created.status).toBeLessThan(500);
  });

  it('a user without a second factor is not asked (a fresh sign-in or not), and requests without a token get their route’s 401', async () => {
    const reg = await register(f.t.app, uniqueEmail('plain'), PASSWORD);
    await verified(f, reg.user.id);
    await ageSession(f, sid(reg.access_token));
    expect((await request(f.t.app).post(api('/me/developer')).set(bearer(reg.access_token))).status).toBe(200);
    const anonymous = await request(f.t.app).post(api('/password/change')).send({ current_password: PASSWORD, new_password: 'x'.repeat(20) });
    expect(anonymous.status).toBe(401);
    expect(anonymous.body.error).toBe('invalid_token');
  });
});

describe('MFA_REQUIRED_ROLES=developer,admin', () => {
  const f = useFactorApp({ MFA_REQUIRED_ROLES: 'developer,admin' });

  it('becoming a developer needs a factor first (403 mfa_enrollment_required), then a fresh one', async () => {
    const reg = await register(f.t.app, uniqueEmail('needs'), PASSWORD);
    await verified(f, reg.user.id);
    const refused = await request(f.t.app).post(api('/me/developer')).set(bearer(reg.access_token));
    expect(refused.status).toBe(403);
    expect(refused.body).toMatchObject({ error: 'mfa_enrollment_required', action: 'become_developer', role: 'developer' });
    const u = await staleUser(f, 'enrolled');
    await verified(f, u.reg.user.id);
    expectStepUp(await request(f.t.app).post(api('/me/developer')).set(bearer(u.reg.access_token)), 'become_developer');
    expect((await request(f.t.app).post(api('/me/developer')).set(bearer(await u.fresh()))).status).toBe(200);
  });
});

describe('account recovery', () => {
  const f = useFactorApp();

  it('a password reset keeps the second factors: the next sign-in still asks for one', async () => {
    const { email } = await userWithTotp(f, 'reset');
    await request(f.t.app).post(api('/password/forgot')).send({ email });
    const mail = await f.smtp.waitFor(email, /password/i);
    const reset = await request(f.t.app).post(api('/password/reset')).send({ token: mail.token, password: 'a brand new passphrase' });
    expect(reset.status).toBe(204);
    const login = await request(f.t.app).post(api('/login')).send({ email, password: 'a brand new passphrase' });
    expect(login.status).toBe(403);
    expect(login.body).toMatchObject({ error: 'mfa_required', factors: ['totp', 'recovery_code'] });
  });
});
