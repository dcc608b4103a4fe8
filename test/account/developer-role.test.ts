import request from 'supertest';
import { bearer, promoteToAdmin, register, uniqueEmail } from '../auth/helpers';
import { api, claims, registerVerified, useMailApp } from './support';

/**
 * Issue 22 M5: one developer-role policy (src/auth/accounts/developer-role.ts): developers only
 * with a verified email, every self-upgrade audited, an admin's demotion sticky until an admin
 * lifts it.
 */
describe('the developer role', () => {
  const m = useMailApp();
  const roleEvents = async (userId: string) =>
    (await m.t.dataSource.query(`SELECT detail, actor_id FROM auth.audit_events WHERE user_id = $1 AND type = 'role_changed' ORDER BY id`, [userId])) as {
      detail: Record<string, unknown>;
      actor_id: string | null;
    }[];

  it('registering with role developer gives a player until the email is verified; verifying grants the role, audited', async () => {
    const email = uniqueEmail('wants-dev');
    const reg = await request(m.t.app).post(api('/register')).send({ email, password: 'correct horse battery staple', role: 'developer' });
    expect(reg.status).toBe(201);
    expect(reg.body.user.role).toBe('player');
    expect(claims(reg.body.access_token).role).toBe('player');
    // Not verified: the self-service route refuses too.
    expect((await request(m.t.app).post(api('/me/developer')).set(bearer(reg.body.access_token))).body.error).toBe('email_not_verified');

    const mail = await m.smtp.waitFor(email, /Confirm your email/);
    expect((await request(m.t.app).post(api('/verify-email')).send({ token: mail.token })).status).toBe(200);
    expect((await request(m.t.app).get(api('/me')).set(bearer(reg.body.access_token))).body.role).toBe('developer');
    const refreshed = await request(m.t.app).post(api('/refresh')).send({ refresh_token: reg.body.refresh_token });
    expect(claims(refreshed.body.access_token).role).toBe('developer');
    expect(await roleEvents(reg.body.user.id)).toEqual([{ detail: { from: 'player', to: 'developer', via: 'email_verified' }, actor_id: null }]);
  });

  it('POST me/developer writes role_changed (via self_service, with the session)', async () => {
    const reg = await registerVerified(m, uniqueEmail('self-dev'));
    const res = await request(m.t.app).post(api('/me/developer')).set(bearer(reg.access_token));
    expect(res.status).toBe(200);
    const [event] = await m.t.dataSource.query(`SELECT detail, session_id FROM auth.audit_events WHERE user_id = $1 AND type = 'role_changed'`, [reg.user.id]);
    expect(event).toEqual({ detail: { from: 'player', to: 'developer', via: 'self_service' }, session_id: claims(reg.access_token).sid });
  });

  it('an admin\'s demotion is sticky: no self-upgrade until an admin lifts it (developer_blocked: false), audited both ways', async () => {
    const admin = await register(m.t.app, uniqueEmail('dev-admin'));
    await promoteToAdmin(m.t, admin.user.id);
    const reg = await registerVerified(m, uniqueEmail('demoted'));
    expect((await request(m.t.app).post(api('/me/developer')).set(bearer(reg.access_token))).status).toBe(200);

    const patch = (body: object) => request(m.t.app).patch(api(`/users/${reg.user.id}`)).set(bearer(admin.access_token)).send(body);
    expect((await patch({ role: 'player' })).status).toBe(200);
    const again = await request(m.t.app).post(api('/me/developer')).set(bearer(reg.access_token));
    expect(again.status).toBe(403);
    expect(again.body.error).toBe('role_not_allowed');
    expect((await request(m.t.app).get(api('/me')).set(bearer(reg.access_token))).body.role).toBe('player');

    expect((await patch({ developer_blocked: false })).status).toBe(200);
    expect((await request(m.t.app).post(api('/me/developer')).set(bearer(reg.access_token))).status).toBe(200);
    expect((await roleEvents(reg.user.id)).map((e) => [e.detail, e.actor_id])).toEqual([
      [{ from: 'player', to: 'developer', via: 'self_service' }, null],
      [{ from: 'developer', to: 'player', developer_blocked: true }, admin.user.id],
      [{ from: 'player', to: 'player', developer_blocked: false }, admin.user.id],
      [{ from: 'player', to: 'developer', via: 'self_service' }, null],
    ]);
  });
});
