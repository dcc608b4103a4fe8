import { createHash } from 'node:crypto';
import request from 'supertest';
import { recordEvent } from '../../src/auth/audit/audit-events';
import { useTestApp } from '../support/app';
import { bearer, promoteToAdmin, register, uniqueEmail } from './helpers';

const PASSWORD = 'correct horse battery staple';
const API = '/api/v1/auth';

interface EventRow {
  id: string;
  type: string;
  user_id: string | null;
  actor_id: string | null;
  session_id: string | null;
  ip: string | null;
  user_agent: string | null;
  detail: Record<string, unknown>;
}

describe('the audit log: each action writes its event once, in its own transaction, and failed attempts write none', () => {
  // Reuse interval 0: a replayed refresh token is reuse at once. Behind one proxy hop each test picks its client address.
  const t = useTestApp({ REFRESH_REUSE_INTERVAL_SECONDS: '0', TRUST_PROXY: '1', LOGIN_MAX_FAILURES_PER_ACCOUNT: '3' });

  let ipCounter = 0;
  const newIp = () => `198.51.100.${++ipCounter}`;

  const eventsOf = async (userId: string): Promise<EventRow[]> =>
    t.dataSource.query(
      `SELECT id, type, user_id, actor_id, session_id, host(ip) AS ip, user_agent, detail FROM auth.audit_events WHERE user_id = $1 ORDER BY id`,
      [userId],
    );
  const typesOf = async (userId: string) => (await eventsOf(userId)).map((e) => e.type);
  const allRowsText = async () => JSON.stringify(await t.dataSource.query(`SELECT * FROM auth.audit_events`));
  const login = (email: string, password = PASSWORD, ip = newIp()) =>
    request(t.app).post(`${API}/login`).set('X-Forwarded-For', ip).set('User-Agent', 'audit-test/1.0').send({ email, password });

  it('the log is append-only in the database: an UPDATE of an event is refused with 42501, inserting and pruning still work', async () => {
    const { body } = await request(t.app).post(`${API}/register`).set('x-forwarded-for', newIp()).send({ email: uniqueEmail('append'), password: PASSWORD }).expect(201);
    const [event] = await eventsOf(body.user.id);
    const changed = await t.dataSource.query(`UPDATE auth.audit_events SET detail = '{}' WHERE id = $1`, [event!.id]).catch((e: unknown) => e);
    expect((changed as { driverError?: { code?: string } }).driverError?.code).toBe('42501');
    expect(String((changed as Error).message)).toMatch(/audit_events is append-only/);
    expect(await eventsOf(body.user.id)).toEqual([event]);
    await t.dataSource.query(`DELETE FROM auth.audit_events WHERE id = $1`, [event!.id]);
    expect(await eventsOf(body.user.id)).toEqual([]);
  });

  it('register writes user_registered with the session, address, user agent and role; a refused registration writes nothing', async () => {
    const email = uniqueEmail('reg');
    const ip = newIp();
    const res = await request(t.app).post(`${API}/register`).set('X-Forwarded-For', ip).set('User-Agent', 'audit-test/1.0').send({ email, password: PASSWORD });
    expect(res.status).toBe(201);
    const events = await eventsOf(res.body.user.id);
    expect(events).toHaveLength(1);
    const [{ count: sessions }] = await t.dataSource.query(`SELECT count(*)::int AS count FROM auth.sessions WHERE user_id = $1`, [res.body.user.id]);
    expect(sessions).toBe(1);
    expect(events[0]).toMatchObject({ type: 'user_registered', actor_id: null, ip, user_agent: 'audit-test/1.0', detail: { role: 'player' } });
    expect(events[0]!.session_id).toEqual(expect.any(String));

    const before = await t.dataSource.query(`SELECT count(*)::int AS n FROM auth.audit_events`);
    expect((await request(t.app).post(`${API}/register`).send({ email, password: PASSWORD })).body.error).toBe('email_taken');
    expect((await request(t.app).post(`${API}/register`).send({ email: uniqueEmail(), password: 'short' })).body.error).toBe('weak_password');
    expect((await request(t.app).post(`${API}/register`).send({ email: uniqueEmail(), password: PASSWORD, role: 'admin' })).body.error).toBe('role_not_allowed');
    expect(await t.dataSource.query(`SELECT count(*)::int AS n FROM auth.audit_events`)).toEqual(before);
  });

  it('a good login writes login_succeeded with its session; a wrong password writes login_failed (wrong_password) and never the password', async () => {
    const email = uniqueEmail('login');
    const user = await register(t.app, email);
    const ok = await login(email);
    expect(ok.status).toBe(200);
    const secret = 'not the password at all 1234';
    expect((await login(email, secret)).body.error).toBe('invalid_credentials');

    const events = await eventsOf(user.user.id);
    expect(events.map((e) => e.type)).toEqual(['user_registered', 'login_succeeded', 'login_failed']);
    const [claims] = [JSON.parse(Buffer.from((ok.body.access_token as string).split('.')[1]!, 'base64url').toString())];
    expect(events[1]!.session_id).toBe(claims.sid);
    expect(events[2]!.detail).toEqual({ reason: 'wrong_password' });
    expect(events[2]!.session_id).toBeNull();
    expect(await allRowsText()).not.toContain(secret);
  });

  it('a failed login for an unknown email links no user and stores only a keyed hash of the email', async () => {
    const email = uniqueEmail('ghost');
    const ip = newIp();
    expect((await login(email, PASSWORD, ip)).body.error).toBe('invalid_credentials');
    const rows: EventRow[] = await t.dataSource.query(
      `SELECT type, user_id, host(ip) AS ip, detail FROM auth.audit_events WHERE type = 'login_failed' AND ip = $1`,
      [ip],
    );
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ user_id: null, detail: { reason: 'unknown_email', email_hash: expect.any(String) } });
    const text = await allRowsText();
    expect(text).not.toContain(email);
    // Not a plain digest anyone could compute from a list of emails.
    expect(rows[0]!.detail.email_hash).not.toBe(createHash('sha256').update(email).digest('base64url'));
    expect(rows[0]!.detail.email_hash).not.toBe(createHash('sha256').update(email).digest('hex'));
  });

  it('a throttled login writes login_throttled (linked for an account, hashed for an unknown email) and no login_failed', async () => {
    const email = uniqueEmail('throttled');
    const user = await register(t.app, email);
    const ip = newIp();
    for (let i = 0; i < 3; i++) expect((await login(email, 'wrong password', ip)).status).toBe(401);
    const blocked = await login(email, PASSWORD, ip);
    expect(blocked.status).toBe(429);
    expect(await typesOf(user.user.id)).toEqual(['user_registered', 'login_failed', 'login_failed', 'login_failed', 'login_throttled']);
    const throttled = (await eventsOf(user.user.id)).at(-1)!;
    expect(throttled).toMatchObject({ ip, detail: { retry_after: expect.any(Number) } });

    const ghost = uniqueEmail('ghost');
    for (let i = 0; i < 3; i++) await login(ghost, 'wrong password', ip);
    expect((await login(ghost, 'wrong password', ip)).status).toBe(429);
    const [row] = await t.dataSource.query(`SELECT user_id, detail FROM auth.audit_events WHERE type = 'login_throttled' AND ip = $1 AND user_id IS NULL`, [ip]);
    expect(row).toMatchObject({ user_id: null, detail: { email_hash: expect.any(String) } });
    expect(await allRowsText()).not.toContain(ghost);
  });

  it('a deactivated account with the right password writes login_failed (account_disabled) and no session', async () => {
    const email = uniqueEmail('disabled');
    const user = await register(t.app, email);
    await t.dataSource.query(`UPDATE auth.users SET is_active = false WHERE id = $1`, [user.user.id]);
    expect((await login(email)).body.error).toBe('account_disabled');
    const events = await eventsOf(user.user.id);
    expect(events.map((e) => [e.type, e.detail])).toEqual([
      ['user_registered', { role: 'player' }],
      ['login_failed', { reason: 'account_disabled' }],
    ]);
  });

  it('logout writes one logout event with its scope and the sessions it ended; logging out an ended session writes none', async () => {
    const email = uniqueEmail('logout');
    const user = await register(t.app, email);
    const second = (await login(email)).body;
    const third = (await login(email)).body;

    expect((await request(t.app).post(`${API}/logout`).set(bearer(user.access_token)).send({})).status).toBe(204);
    expect((await request(t.app).post(`${API}/logout`).set(bearer(user.access_token)).send({})).status).toBe(204);
    expect((await request(t.app).post(`${API}/logout`).send({ refresh_token: user.refresh_token })).status).toBe(204);
    const fourth = (await login(email)).body;
    expect((await request(t.app).post(`${API}/logout`).set(bearer(second.access_token)).send({ scope: 'others' })).status).toBe(204);
    expect((await request(t.app).post(`${API}/logout`).send({ refresh_token: second.refresh_token, scope: 'global' })).status).toBe(204);

    const logouts = (await eventsOf(user.user.id)).filter((e) => e.type === 'logout');
    expect(logouts.map((e) => e.detail)).toEqual([
      { scope: 'local', sessions_ended: 1 },
      { scope: 'others', sessions_ended: 2 },
      { scope: 'global', sessions_ended: 1 },
    ]);
    const sid = (token: string) => JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()).sid as string;
    expect(logouts.map((e) => e.session_id)).toEqual([sid(user.access_token), sid(second.access_token), sid(second.access_token)]);
    void third;
    void fourth;
  });

  it('a good rotation writes nothing; reuse writes refresh_token_reused naming the session it revoked, once', async () => {
    const email = uniqueEmail('reuse');
    const user = await register(t.app, email);
    const rotated = await request(t.app).post(`${API}/refresh`).send({ refresh_token: user.refresh_token });
    expect(rotated.status).toBe(200);
    expect(await typesOf(user.user.id)).toEqual(['user_registered']);

    const thiefIp = newIp();
    const replay = await request(t.app).post(`${API}/refresh`).set('X-Forwarded-For', thiefIp).send({ refresh_token: user.refresh_token });
    expect(replay.body.error).toBe('invalid_grant');
    // The session is already ended: a second replay is invalid, not a second reuse.
    expect((await request(t.app).post(`${API}/refresh`).send({ refresh_token: user.refresh_token })).body.error).toBe('invalid_grant');

    const events = await eventsOf(user.user.id);
    expect(events.map((e) => e.type)).toEqual(['user_registered', 'refresh_token_reused']);
    const [{ id: sessionId }] = await t.dataSource.query(`SELECT id FROM auth.sessions WHERE user_id = $1 AND revoked_reason = 'refresh_token_reused'`, [
      user.user.id,
    ]);
    expect(events[1]).toMatchObject({ session_id: sessionId, ip: thiefIp, detail: { revoked_session_id: sessionId } });
  });

  it('an admin changing a role or deactivating writes role_changed / active_changed with the admin, from and to; no-ops and refusals write nothing', async () => {
    const admin = await register(t.app, uniqueEmail('admin'));
    await promoteToAdmin(t, admin.user.id);
    const target = await register(t.app, uniqueEmail('target'));
    const patch = (id: string, body: object) => request(t.app).patch(`${API}/users/${id}`).set(bearer(admin.access_token)).send(body);

    expect((await patch(target.user.id, { role: 'developer' })).status).toBe(200);
    expect((await patch(target.user.id, { role: 'developer' })).status).toBe(200);
    expect((await patch(target.user.id, { is_active: false })).status).toBe(200);
    expect((await patch(target.user.id, { is_active: true, role: 'player' })).status).toBe(200);
    // The last admin cannot demote themselves: refused, and no event.
    expect((await patch(admin.user.id, { role: 'player' })).body.error).toBe('last_admin');

    const changes = (await eventsOf(target.user.id)).filter((e) => e.type !== 'user_registered');
    expect(changes.map((e) => [e.type, e.detail])).toEqual([
      ['role_changed', { from: 'player', to: 'developer' }],
      ['active_changed', { from: true, to: false, sessions_ended: 1 }],
      // Made a player by an admin: the developer role stays blocked until an admin lifts it (issue 22 M5).
      ['role_changed', { from: 'developer', to: 'player', developer_blocked: true }],
      ['active_changed', { from: false, to: true }],
    ]);
    for (const e of changes) expect(e.actor_id).toBe(admin.user.id);
    expect(await typesOf(admin.user.id)).toEqual(['user_registered']);
  });

  it('an event is written in the caller transaction: rolled back with it', async () => {
    const user = await register(t.app, uniqueEmail('rollback'));
    await expect(
      t.dataSource.transaction(async (manager) => {
        await recordEvent(manager, { type: 'session_ended', userId: user.user.id });
        throw new Error('the change failed');
      }),
    ).rejects.toThrow('the change failed');
    expect(await typesOf(user.user.id)).toEqual(['user_registered']);
  });

  it('refuses a detail that would store a secret', async () => {
    await expect(recordEvent(t.dataSource, { type: 'login_failed', detail: { password: 'x' } })).rejects.toThrow(TypeError);
    await expect(recordEvent(t.dataSource, { type: 'login_failed', detail: { refresh_token: 'x' } })).rejects.toThrow(TypeError);
  });
});
