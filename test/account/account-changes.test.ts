import request from 'supertest';
import { bearer, promoteToAdmin, register, uniqueEmail } from '../auth/helpers';
import { api, auditTypes, claims, login, PASSWORD, registerVerified, useMailApp } from './support';

const NEW_PASSWORD = 'a brand new passphrase';

describe('password change', () => {
  const m = useMailApp();

  it('ends every other session, keeps the current one, and sends a notice', async () => {
    const email = uniqueEmail('change');
    const current = await register(m.t.app, email);
    const other = (await login(m, email)).body;
    const res = await request(m.t.app)
      .post(api('/password/change'))
      .set(bearer(current.access_token))
      .send({ current_password: PASSWORD, new_password: NEW_PASSWORD });
    expect(res.status).toBe(204);
    expect((await request(m.t.app).post(api('/refresh')).send({ refresh_token: other.refresh_token })).body.error).toBe('invalid_grant');
    expect((await request(m.t.app).get(api('/me')).set(bearer(current.access_token))).status).toBe(200);
    expect((await request(m.t.app).post(api('/refresh')).send({ refresh_token: current.refresh_token })).status).toBe(200);
    expect((await login(m, email, NEW_PASSWORD)).status).toBe(200);
    await m.smtp.waitFor(email, /Your password was changed/);
    expect(await auditTypes(m, current.user.id)).toContain('password_changed');
  });

  it('needs the current password (401 invalid_credentials) and a policy-conforming new one', async () => {
    const reg = await register(m.t.app, uniqueEmail('change-wrong'));
    const wrong = await request(m.t.app).post(api('/password/change')).set(bearer(reg.access_token)).send({ current_password: 'not it at all', new_password: NEW_PASSWORD });
    expect(wrong.body.error).toBe('invalid_credentials');
    // The wrong guess is in the audit log, with the session that made it.
    const [event] = await m.t.dataSource.query(`SELECT session_id, detail FROM auth.audit_events WHERE user_id = $1 AND type = 'password_check_failed'`, [reg.user.id]);
    expect(event).toEqual({ session_id: claims(reg.access_token).sid, detail: { action: 'password_change' } });
    const weak = await request(m.t.app).post(api('/password/change')).set(bearer(reg.access_token)).send({ current_password: PASSWORD, new_password: 'short' });
    expect(weak.body.error).toBe('weak_password');
    expect((await request(m.t.app).post(api('/password/change')).send({ current_password: PASSWORD, new_password: NEW_PASSWORD })).status).toBe(401);
  });
});

describe('email change', () => {
  const m = useMailApp();

  it('mails a confirmation link to the new address and a notice to the old; the address changes only when the link is used', async () => {
    const old = uniqueEmail('old');
    const reg = await register(m.t.app, old);
    const target = uniqueEmail('new');
    const res = await request(m.t.app).post(api('/email/change')).set(bearer(reg.access_token)).send({ new_email: target, password: PASSWORD });
    expect(res.status).toBe(202);
    const notice = await m.smtp.waitFor(old, /about to change/);
    expect(notice.text).toContain(target);
    const confirm = await m.smtp.waitFor(target, /Confirm your new email/);
    expect((await request(m.t.app).get(api('/me')).set(bearer(reg.access_token))).body.email).toBe(old);

    const done = await request(m.t.app).post(api('/verify-email')).send({ token: confirm.token });
    expect(done.status).toBe(200);
    expect(done.body).toEqual({ email: target, email_verified: true });
    expect((await login(m, old)).body.error).toBe('invalid_credentials');
    const fresh = await login(m, target);
    expect(fresh.body.user).toMatchObject({ email: target, email_verified: true });
    expect(await auditTypes(m, reg.user.id)).toContain('email_changed');
  });

  it('changes only if the new address is still free when the link is used (409 email_taken, nothing changed)', async () => {
    const old = uniqueEmail('race-old');
    const reg = await register(m.t.app, old);
    const target = uniqueEmail('race-new');
    await request(m.t.app).post(api('/email/change')).set(bearer(reg.access_token)).send({ new_email: target, password: PASSWORD });
    const confirm = await m.smtp.waitFor(target, /Confirm your new email/);
    await register(m.t.app, target); // someone else takes it meanwhile
    const res = await request(m.t.app).post(api('/verify-email')).send({ token: confirm.token });
    expect(res.status).toBe(409);
    expect(res.body.error).toBe('email_taken');
    expect((await request(m.t.app).get(api('/me')).set(bearer(reg.access_token))).body.email).toBe(old);
  });

  it('refuses a taken address, a wrong password and the current address', async () => {
    const reg = await register(m.t.app, uniqueEmail('refused'));
    const taken = uniqueEmail('taken');
    await register(m.t.app, taken);
    const send = (body: object) => request(m.t.app).post(api('/email/change')).set(bearer(reg.access_token)).send(body);
    expect((await send({ new_email: taken, password: PASSWORD })).body.error).toBe('email_taken');
    expect((await send({ new_email: uniqueEmail('x'), password: 'wrong password!' })).body.error).toBe('invalid_credentials');
    expect((await send({ new_email: (await request(m.t.app).get(api('/me')).set(bearer(reg.access_token))).body.email, password: PASSWORD })).body.error).toBe('invalid_request');
  });
});

describe('profile and the developer role', () => {
  const m = useMailApp();

  it('PATCH me changes the display name (null clears it); unknown fields are refused', async () => {
    const reg = await register(m.t.app, uniqueEmail('profile'));
    const set = await request(m.t.app).patch(api('/me')).set(bearer(reg.access_token)).send({ display_name: '  Mia  ' });
    expect(set.status).toBe(200);
    expect(set.body.display_name).toBe('Mia');
    expect((await request(m.t.app).get(api('/me')).set(bearer(reg.access_token))).body.display_name).toBe('Mia');
    expect((await request(m.t.app).patch(api('/me')).set(bearer(reg.access_token)).send({ display_name: null })).body.display_name).toBeNull();
    expect((await request(m.t.app).patch(api('/me')).set(bearer(reg.access_token)).send({ role: 'admin' })).status).toBe(400);
    expect((await request(m.t.app).patch(api('/me')).send({ display_name: 'x' })).status).toBe(401);
  });

  it('a player with an unverified email cannot become a developer (403 email_not_verified)', async () => {
    const reg = await register(m.t.app, uniqueEmail('unverified-dev'));
    const res = await request(m.t.app).post(api('/me/developer')).set(bearer(reg.access_token));
    expect(res.status).toBe(403);
    expect(res.body.error).toBe('email_not_verified');
  });

  it('a verified player becomes a developer and gets an access token with the new role at once; refreshes keep it', async () => {
    const email = uniqueEmail('dev');
    const reg = await registerVerified(m, email);
    const res = await request(m.t.app).post(api('/me/developer')).set(bearer(reg.access_token));
    expect(res.status).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(claims(res.body.access_token)).toMatchObject({ role: 'developer', email_verified: true, sid: claims(reg.access_token).sid });
    expect((await request(m.t.app).get(api('/me')).set(bearer(res.body.access_token))).body.role).toBe('developer');
    const refreshed = await request(m.t.app).post(api('/refresh')).send({ refresh_token: reg.refresh_token });
    expect(claims(refreshed.body.access_token).role).toBe('developer');
  });

  it('an admin keeps the admin role (403 role_not_allowed)', async () => {
    const email = uniqueEmail('admin-dev');
    const reg = await registerVerified(m, email);
    await promoteToAdmin(m.t, reg.user.id);
    const res = await request(m.t.app).post(api('/me/developer')).set(bearer(reg.access_token));
    expect(res.body.error).toBe('role_not_allowed');
  });
});

describe('account deletion', () => {
  const m = useMailApp();

  it('DELETE me needs the password, ends every session, anonymises the row (kept), frees the email, and the account never logs in again', async () => {
    const email = uniqueEmail('delete');
    const reg = await register(m.t.app, email, PASSWORD, { display_name: 'Mia' });
    const other = (await login(m, email)).body;
    const wrong = await request(m.t.app).delete(api('/me')).set(bearer(reg.access_token)).send({ password: 'not my password' });
    expect(wrong.body.error).toBe('invalid_credentials');

    expect((await request(m.t.app).delete(api('/me')).set(bearer(reg.access_token)).send({ password: PASSWORD })).status).toBe(204);
    for (const session of [reg, other]) {
      expect((await request(m.t.app).post(api('/refresh')).send({ refresh_token: session.refresh_token })).body.error).toBe('invalid_grant');
    }
    expect((await login(m, email)).body.error).toBe('invalid_credentials');
    const [row] = await m.t.dataSource.query(`SELECT email, password_hash, display_name, is_active, deleted_at FROM auth.users WHERE id = $1`, [reg.user.id]);
    expect(row).toMatchObject({ email: null, password_hash: null, display_name: null, is_active: false });
    expect(row.deleted_at).toBeInstanceOf(Date);
    expect(await auditTypes(m, reg.user.id)).toContain('account_deleted');
    // The pending verification mail is dropped and no outbox row keeps the address.
    expect(await m.t.dataSource.query(`SELECT 1 FROM auth.mail_outbox WHERE recipient = $1`, [email])).toEqual([]);

    const again = await request(m.t.app).post(api('/register')).send({ email, password: PASSWORD });
    expect(again.status).toBe(201);
    expect(again.body.user.id).not.toBe(reg.user.id);
  });

  it('a forgot-password for a deleted account sends nothing, and its old links stop working', async () => {
    const email = uniqueEmail('deleted-reset');
    const reg = await register(m.t.app, email);
    const verify = await m.smtp.waitFor(email, /Confirm your email/);
    await request(m.t.app).delete(api('/me')).set(bearer(reg.access_token)).send({ password: PASSWORD });
    expect((await request(m.t.app).post(api('/verify-email')).send({ token: verify.token })).body.error).toBe('link_invalid');
    await request(m.t.app).post(api('/password/forgot')).send({ email });
    await m.t.mailSender!.drain();
    expect(m.smtp.mailsTo(email).filter((x) => /Reset/.test(x.subject))).toEqual([]);
  });

  it('the last active admin cannot delete the account (409 last_admin)', async () => {
    const reg = await register(m.t.app, uniqueEmail('last-admin'));
    await promoteToAdmin(m.t, reg.user.id);
    const res = await request(m.t.app).delete(api('/me')).set(bearer(reg.access_token)).send({ password: PASSWORD });
    expect(res.body.error).toBe('last_admin');
  });
});
