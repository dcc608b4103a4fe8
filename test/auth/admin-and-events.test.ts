import request from 'supertest';
import { useTestApp } from '../support/app';
import { bearer, promoteToAdmin, register, registerDeveloper, uniqueEmail } from './helpers';

const API = '/api/v1/auth';
const PASSWORD = 'correct horse battery staple';

type Page = { events: { id: string; type: string; user_id: string | null; occurred_at: string }[]; next_before: string | null };

describe('security history (me/events, events) and the admin view of users', () => {
  const t = useTestApp();
  let admin: Awaited<ReturnType<typeof register>>;

  beforeAll(async () => {
    admin = await register(t.app, uniqueEmail('admin'));
    await promoteToAdmin(t, admin.user.id);
  });

  const login = (email: string, password = PASSWORD) => request(t.app).post(`${API}/login`).send({ email, password });
  const get = (path: string, token: string) => request(t.app).get(`${API}${path}`).set(bearer(token));

  it('GET me/events gives the caller’s own events, newest first, and nobody else’s', async () => {
    const email = uniqueEmail('history');
    const me = await register(t.app, email);
    await login(email, 'wrong password');
    await login(email);
    const other = await register(t.app, uniqueEmail('other'));

    const res = await get('/me/events', me.access_token);
    expect(res.status).toBe(200);
    expect(res.body.events.map((e: { type: string }) => e.type)).toEqual(['login_succeeded', 'login_failed', 'user_registered']);
    expect(res.body.events.every((e: { user_id: string }) => e.user_id === me.user.id)).toBe(true);
    expect(res.body.next_before).toBeNull();
    expect((await get('/me/events', other.access_token)).body.events.map((e: { type: string }) => e.type)).toEqual(['user_registered']);
  });

  it('pages with before/next_before, and stays stable while new events are added', async () => {
    const email = uniqueEmail('pager');
    const me = await register(t.app, email);
    for (let i = 0; i < 4; i++) await login(email, 'wrong password');
    // 5 events: 4 failures and the registration (the 5th failure would throttle).
    const seen: string[] = [];
    let page = (await get('/me/events?limit=2', me.access_token)).body as Page;
    seen.push(...page.events.map((e) => e.id));
    // New events while paging: they are newer than the cursor and never appear in, or shift, the later pages.
    await login(email);
    await login(email, 'wrong password');
    while (page.next_before) {
      page = (await get(`/me/events?limit=2&before=${page.next_before}`, me.access_token)).body as Page;
      seen.push(...page.events.map((e) => e.id));
    }
    expect(seen).toHaveLength(5);
    expect(new Set(seen).size).toBe(5);
    expect([...seen].sort((a, b) => Number(b) - Number(a))).toEqual(seen);
    const first = (await get('/me/events?limit=2', me.access_token)).body as Page;
    expect(first.events.map((e) => e.type)).toEqual(['login_failed', 'login_succeeded']);
  });

  it('refuses bad paging parameters with invalid_request naming them', async () => {
    const me = await register(t.app, uniqueEmail());
    for (const query of ['limit=0', 'limit=201', 'before=abc', 'before=-1', 'colour=blue']) {
      const res = await get(`/me/events?${query}`, me.access_token);
      expect({ query, status: res.status, error: res.body.error }).toEqual({ query, status: 400, error: 'invalid_request' });
    }
  });

  it('a player cannot read the audit log or list users, see a user, or end their sessions', async () => {
    const player = await register(t.app, uniqueEmail('player'));
    for (const [method, path] of [
      ['get', '/events'],
      ['get', `/events?user_id=${admin.user.id}`],
      ['get', '/users'],
      ['get', `/users/${admin.user.id}`],
      ['delete', `/users/${admin.user.id}/sessions`],
    ] as const) {
      const res = await request(t.app)[method](`${API}${path}`).set(bearer(player.access_token));
      expect({ path, status: res.status, error: res.body.error }).toEqual({ path, status: 403, error: 'forbidden' });
    }
    expect((await request(t.app).get(`${API}/events`)).status).toBe(401);
    expect((await get(`/users/${admin.user.id}`, admin.access_token)).status).toBe(200);
  });

  it('GET events (admin) filters by user and type and pages like me/events', async () => {
    const email = uniqueEmail('watched');
    const user = await register(t.app, email);
    for (let i = 0; i < 3; i++) await login(email, 'wrong password');
    const byUser = (await get(`/events?user_id=${user.user.id}`, admin.access_token)).body as Page;
    expect(byUser.events.map((e) => e.type)).toEqual(['login_failed', 'login_failed', 'login_failed', 'user_registered']);
    const failures = (await get(`/events?user_id=${user.user.id}&type=login_failed&limit=2`, admin.access_token)).body as Page;
    expect(failures.events).toHaveLength(2);
    const rest = (await get(`/events?user_id=${user.user.id}&type=login_failed&limit=2&before=${failures.next_before}`, admin.access_token)).body as Page;
    expect(rest.events).toHaveLength(1);
    expect(rest.next_before).toBeNull();
    const registrations = (await get(`/events?type=user_registered&limit=200`, admin.access_token)).body as Page;
    expect(registrations.events.map((e) => e.user_id)).toContain(user.user.id);
    expect((await get('/events?type=no_such_type', admin.access_token)).status).toBe(400);
    expect((await get('/events?user_id=nope', admin.access_token)).status).toBe(400);
  });

  it('GET users (admin) filters by role, state and email prefix, in email order (these emails sort as they were made), keyset-paged', async () => {
    const tag = `zz${Date.now().toString(36)}`;
    const made: { id: string; email: string }[] = [];
    for (let i = 0; i < 5; i++) {
      const email = `${tag}-${i}@cathouse.example`;
      const r = i % 2 ? await registerDeveloper(t, email, PASSWORD) : await register(t.app, email, PASSWORD);
      made.push({ id: r.user.id, email });
    }
    await request(t.app).patch(`${API}/users/${made[4]!.id}`).set(bearer(admin.access_token)).send({ is_active: false });

    const all: string[] = [];
    let after: string | null = null;
    do {
      const res = await get(`/users?email=${tag.toUpperCase()}&limit=2${after ? `&after=${after}` : ''}`, admin.access_token);
      expect(res.status).toBe(200);
      all.push(...res.body.users.map((u: { id: string }) => u.id));
      after = res.body.next_after;
    } while (after);
    expect(all).toEqual(made.map((m) => m.id));

    const developers = await get(`/users?email=${tag}&role=developer`, admin.access_token);
    expect(developers.body.users.map((u: { id: string }) => u.id)).toEqual([made[1]!.id, made[3]!.id]);
    const inactivePlayers = await get(`/users?email=${tag}&role=player&is_active=false`, admin.access_token);
    expect(inactivePlayers.body.users.map((u: { id: string }) => u.id)).toEqual([made[4]!.id]);
    // LIKE wildcards in the prefix are literal.
    expect((await get(`/users?email=${encodeURIComponent('%')}`, admin.access_token)).body.users).toEqual([]);
    expect((await get('/users?after=bogus', admin.access_token)).body.error).toBe('invalid_request');
    expect((await get('/users?is_active=maybe', admin.access_token)).body.error).toBe('invalid_request');
  });

  it('GET users/{id} (admin) shows the user, their live sessions and latest events; DELETE users/{id}/sessions ends them all', async () => {
    const email = uniqueEmail('managed');
    const user = await register(t.app, email);
    const second = (await login(email)).body as { refresh_token: string };

    const view = await get(`/users/${user.user.id}`, admin.access_token);
    expect(view.status).toBe(200);
    expect(view.body.user).toMatchObject({ id: user.user.id, email });
    expect(view.body.user).not.toHaveProperty('password_hash');
    expect(view.body.sessions).toHaveLength(2);
    expect(view.body.events.map((e: { type: string }) => e.type)).toEqual(['login_succeeded', 'user_registered']);

    const ended = await request(t.app).delete(`${API}/users/${user.user.id}/sessions`).set(bearer(admin.access_token));
    expect(ended.status).toBe(200);
    expect(ended.body).toEqual({ sessions_ended: 2 });
    for (const token of [user.refresh_token, second.refresh_token]) {
      expect((await request(t.app).post(`${API}/refresh`).send({ refresh_token: token })).body.error).toBe('invalid_grant');
    }
    expect((await get(`/users/${user.user.id}`, admin.access_token)).body.sessions).toEqual([]);
    // Nothing left to end: no second event.
    expect((await request(t.app).delete(`${API}/users/${user.user.id}/sessions`).set(bearer(admin.access_token))).body).toEqual({ sessions_ended: 0 });
    const events = await t.dataSource.query(`SELECT actor_id, detail FROM auth.audit_events WHERE user_id = $1 AND type = 'session_ended'`, [user.user.id]);
    expect(events).toEqual([{ actor_id: admin.user.id, detail: { by: 'admin', sessions_ended: 2 } }]);

    expect((await get('/users/00000000-0000-4000-8000-000000000000', admin.access_token)).status).toBe(404);
    expect((await get('/users/nope', admin.access_token)).status).toBe(404);
    expect((await request(t.app).put(`${API}/users/${user.user.id}`).set(bearer(admin.access_token)).send({})).headers.allow).toBe('GET, PATCH');
  });
});
