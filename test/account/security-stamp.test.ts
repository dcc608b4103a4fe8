import request from 'supertest';
import { bearer, promoteToAdmin, register, uniqueEmail } from '../auth/helpers';
import { api, login, PASSWORD, useMailApp } from './support';

/**
 * Issue 22 H1 and M1: every change of credential or identity ends every mailed link of the
 * account (the security stamp, src/auth/accounts/security-stamp.ts). The sequences are the
 * attacks of the review, each ending with the owner in control.
 */
describe('a change of credential or identity ends every outstanding link of the account', () => {
  const m = useMailApp();
  const OWNER_PASSWORD = 'the owner took it back';

  /** The attacker, holding the account, asks to move it to their own mailbox; returns the link mailed there. */
  async function pendingEmailChange(accessToken: string, password = PASSWORD) {
    const attackerMailbox = uniqueEmail('attacker-box');
    const asked = await request(m.t.app).post(api('/email/change')).set(bearer(accessToken)).send({ new_email: attackerMailbox, password });
    expect(asked.status).toBe(202);
    const link = await m.smtp.waitFor(attackerMailbox, /Confirm your new email/);
    return { attackerMailbox, token: link.token! };
  }

  /** The owner recovers the account by forgot-password and reset. */
  async function ownerResets(email: string) {
    expect((await request(m.t.app).post(api('/password/forgot')).send({ email })).status).toBe(202);
    const reset = await m.smtp.waitFor(email, /Reset your password/);
    expect((await request(m.t.app).post(api('/password/reset')).send({ token: reset.token, password: OWNER_PASSWORD })).status).toBe(204);
  }

  /** The attacker spends the old link, then tries to finish the takeover by resetting at their own mailbox. */
  async function attackerTriesToFinish(token: string, attackerMailbox: string, ownerEmail: string) {
    const spent = await request(m.t.app).post(api('/verify-email')).send({ token });
    expect(spent.status).toBe(400);
    expect(spent.body.error).toBe('link_invalid');
    // Nothing moved: the attacker's mailbox is no account, the owner's address still is.
    expect((await request(m.t.app).post(api('/password/forgot')).send({ email: attackerMailbox })).status).toBe(202);
    expect((await login(m, attackerMailbox, OWNER_PASSWORD)).body.error).toBe('invalid_credentials');
    const owner = await login(m, ownerEmail, OWNER_PASSWORD);
    expect(owner.status).toBe(200);
    expect(owner.body.user.email).toBe(ownerEmail);
  }

  it('H1: an email change asked for by someone who had the account dies when the owner resets the password', async () => {
    const email = uniqueEmail('owner');
    const stolen = await register(m.t.app, email);
    const { attackerMailbox, token } = await pendingEmailChange(stolen.access_token);
    await ownerResets(email);
    await attackerTriesToFinish(token, attackerMailbox, email);
  });

  it('H1: ... and when the owner changes the password', async () => {
    const email = uniqueEmail('owner-change');
    const owner = await register(m.t.app, email);
    const attacker = await login(m, email);
    const { attackerMailbox, token } = await pendingEmailChange(attacker.body.access_token);
    const changed = await request(m.t.app).post(api('/password/change')).set(bearer(owner.access_token)).send({ current_password: PASSWORD, new_password: OWNER_PASSWORD });
    expect(changed.status).toBe(204);
    await attackerTriesToFinish(token, attackerMailbox, email);
  });

  it('H1: the "unexpired email change" pre-hijack: registered first by the attacker, recovered later by the owner', async () => {
    const victim = uniqueEmail('not-yet-registered');
    // The attacker registers the victim's address and asks to move the account to their own mailbox.
    const squatted = await register(m.t.app, victim, 'the attacker chose this');
    const { attackerMailbox, token } = await pendingEmailChange(squatted.access_token, 'the attacker chose this');
    // Later the victim finds "an account exists" and recovers it by forgot-password.
    await ownerResets(victim);
    await attackerTriesToFinish(token, attackerMailbox, victim);
    // The attacker's session ended with the reset.
    expect((await request(m.t.app).get(api('/me')).set(bearer(squatted.access_token))).status).toBe(401);
  });

  it('M1: a reset link mailed to the old address stops working when an email change is confirmed, and the old address is told', async () => {
    const old = uniqueEmail('moving');
    const reg = await register(m.t.app, old);
    expect((await request(m.t.app).post(api('/password/forgot')).send({ email: old })).status).toBe(202);
    const resetAtOld = await m.smtp.waitFor(old, /Reset your password/);
    const target = uniqueEmail('moved');
    await request(m.t.app).post(api('/email/change')).set(bearer(reg.access_token)).send({ new_email: target, password: PASSWORD });
    const confirm = await m.smtp.waitFor(target, /Confirm your new email/);
    expect((await request(m.t.app).post(api('/verify-email')).send({ token: confirm.token })).status).toBe(200);

    const reset = await request(m.t.app).post(api('/password/reset')).send({ token: resetAtOld.token, password: 'whoever reads the old box' });
    expect(reset.status).toBe(400);
    expect(reset.body.error).toBe('link_invalid');
    expect((await login(m, target)).status).toBe(200);
    const notice = await m.smtp.waitFor(old, /Your email address was changed/);
    expect(notice.text).toContain(target);
    expect(notice.token).toBeUndefined();
  });

  it('deactivation and deletion end the links too; the stamp moves with every change of credential or identity', async () => {
    const stampOf = async (id: string) => BigInt((await m.t.dataSource.query(`SELECT security_stamp FROM auth.users WHERE id = $1`, [id]))[0].security_stamp);
    const admin = await register(m.t.app, uniqueEmail('stamp-admin'));
    await promoteToAdmin(m.t, admin.user.id);
    const email = uniqueEmail('stamped');
    const reg = await register(m.t.app, email);
    const verification = await m.smtp.waitFor(email, /Confirm your email/);
    const s0 = await stampOf(reg.user.id);
    expect((await request(m.t.app).patch(api(`/users/${reg.user.id}`)).set(bearer(admin.access_token)).send({ is_active: false })).status).toBe(200);
    expect(await stampOf(reg.user.id)).toBe(s0 + 1n);
    expect((await request(m.t.app).patch(api(`/users/${reg.user.id}`)).set(bearer(admin.access_token)).send({ is_active: true })).status).toBe(200);
    // The verification link mailed before the deactivation is dead after it.
    expect((await request(m.t.app).post(api('/verify-email')).send({ token: verification.token })).body.error).toBe('link_invalid');

    const again = await login(m, email);
    await request(m.t.app).post(api('/password/forgot')).send({ email });
    const reset = await m.smtp.waitFor(email, /Reset your password/);
    expect((await request(m.t.app).delete(api('/me')).set(bearer(again.body.access_token)).send({ password: PASSWORD })).status).toBe(204);
    expect(await stampOf(reg.user.id)).toBe(s0 + 2n);
    expect((await request(m.t.app).post(api('/password/reset')).send({ token: reset.token, password: 'too late for this one' })).body.error).toBe('link_invalid');
  });
});
