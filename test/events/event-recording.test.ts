import request from 'supertest';
import { recordSecurityEvent } from '../../src/auth/events/record';
import { revokeServiceClient } from '../../src/auth/tokens/service-clients';
import { bearer, promoteToAdmin, register, uniqueEmail } from '../auth/helpers';
import { serviceClient } from '../auth/installations';
import { api, login, PASSWORD, useMailApp } from '../account/support';

/**
 * Issue 29, item 1: every security-relevant change writes its event in the change's own
 * transaction (a refused change writes none), with a per-subject sequence, and never an email
 * address or a secret in the event.
 */
const NEW_PASSWORD = 'a brand new passphrase';

describe('security events are recorded with the change, in its transaction', () => {
  const m = useMailApp();

  async function events(subjectKey: string): Promise<{ type: string; seq: number; data: Record<string, unknown> }[]> {
    return m.t.dataSource.query(`SELECT type, seq::int AS seq, data FROM auth.security_events WHERE subject_key = $1 ORDER BY id`, [subjectKey]);
  }
  const types = async (userId: string) => (await events(`user:${userId}`)).map((e) => e.type);

  it('password change: session.revoked for each other session, then user.password_changed; a wrong password records nothing', async () => {
    const email = uniqueEmail('pw');
    const current = await register(m.t.app, email);
    await login(m, email);
    await request(m.t.app).post(api('/password/change')).set(bearer(current.access_token)).send({ current_password: 'wrong wrong wrong', new_password: NEW_PASSWORD });
    expect(await types(current.user.id)).toEqual([]);
    await request(m.t.app).post(api('/password/change')).set(bearer(current.access_token)).send({ current_password: PASSWORD, new_password: NEW_PASSWORD }).expect(204);
    const recorded = await events(`user:${current.user.id}`);
    expect(recorded.map((e) => e.type)).toEqual(['session.revoked', 'user.password_changed']);
    expect(recorded.map((e) => e.seq)).toEqual([1, 2]);
    expect(recorded[0]!.data).toMatchObject({ reason: 'password_changed', initiated_by: 'user', session_id: expect.any(String) });
  });

  it('password reset: user.sessions_revoked then user.password_reset', async () => {
    const email = uniqueEmail('reset');
    const user = await register(m.t.app, email);
    await request(m.t.app).post(api('/password/forgot')).send({ email }).expect(202);
    const { token } = await m.smtp.waitFor(email, /Reset your password/);
    await request(m.t.app).post(api('/password/reset')).send({ token, password: NEW_PASSWORD }).expect(204);
    expect(await types(user.user.id)).toEqual(['user.sessions_revoked', 'user.password_reset']);
  });

  it('email change: user.email_changed when the link is used, without either address', async () => {
    const user = await register(m.t.app, uniqueEmail('old'));
    const target = uniqueEmail('new');
    await request(m.t.app).post(api('/email/change')).set(bearer(user.access_token)).send({ new_email: target, password: PASSWORD }).expect(202);
    expect(await types(user.user.id)).toEqual([]);
    const confirm = await m.smtp.waitFor(target, /Confirm your new email/);
    await request(m.t.app).post(api('/verify-email')).send({ token: confirm.token }).expect(200);
    const recorded = await events(`user:${user.user.id}`);
    expect(recorded.map((e) => e.type)).toEqual(['user.email_changed']);
    expect(JSON.stringify(recorded)).not.toMatch(/@/);
  });

  it('account deletion: user.sessions_revoked then user.deleted', async () => {
    const user = await register(m.t.app, uniqueEmail('delete'));
    await request(m.t.app).delete(api('/me')).set(bearer(user.access_token)).send({ password: PASSWORD }).expect(204);
    expect(await types(user.user.id)).toEqual(['user.sessions_revoked', 'user.deleted']);
  });

  it('admin changes: role and deactivation (with the sessions it ends), by an admin', async () => {
    const adminEmail = uniqueEmail('admin');
    const admin = await register(m.t.app, adminEmail);
    await promoteToAdmin(m.t, admin.user.id);
    const adminToken = (await login(m, adminEmail)).body.access_token as string;
    const user = await register(m.t.app, uniqueEmail('target'));
    await request(m.t.app).patch(api(`/users/${user.user.id}`)).set(bearer(adminToken)).send({ role: 'developer' }).expect(200);
    await request(m.t.app).patch(api(`/users/${user.user.id}`)).set(bearer(adminToken)).send({ is_active: false }).expect(200);
    const recorded = await events(`user:${user.user.id}`);
    expect(recorded.map((e) => e.type)).toEqual(['user.role_changed', 'user.sessions_revoked', 'user.deactivated']);
    expect(recorded[0]!.data).toEqual({ from: 'player', to: 'developer', initiated_by: 'admin' });
  });

  it('service client revoked: one event for the client; revoking it again records nothing', async () => {
    await serviceClient(m.t.dataSource, 'billing-events', ['users:read']);
    await revokeServiceClient(m.t.dataSource, 'billing-events');
    await revokeServiceClient(m.t.dataSource, 'billing-events');
    expect((await events('client:billing-events')).map((e) => e.type)).toEqual(['service_client.revoked']);
  });

  it('an event rolls back with its transaction, and refuses a secret or an address in its data', async () => {
    const user = await register(m.t.app, uniqueEmail('rollback'));
    await expect(
      m.t.dataSource.transaction(async (manager) => {
        await recordSecurityEvent(manager, { type: 'factor.added', subject: { user: user.user.id }, data: { factor_id: 'f1', factor_type: 'totp' } });
        throw new Error('the change failed');
      }),
    ).rejects.toThrow('the change failed');
    expect(await types(user.user.id)).toEqual([]);
    await expect(recordSecurityEvent(m.t.dataSource, { type: 'factor.added', subject: { user: user.user.id }, data: { email: 'x@y.z' } })).rejects.toThrow(/email/);
    await expect(recordSecurityEvent(m.t.dataSource, { type: 'pat.revoked', subject: { user: user.user.id }, data: { refresh_token: 'x' } })).rejects.toThrow(/token/);
  });
});
