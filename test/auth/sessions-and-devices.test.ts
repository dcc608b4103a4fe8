import request from 'supertest';
import { deviceLabel } from '../../src/auth/sessions/devices';
import { useTestApp } from '../support/app';
import { bearer, register, uniqueEmail } from './helpers';

const API = '/api/v1/auth';
const PASSWORD = 'correct horse battery staple';
const FIREFOX_WINDOWS = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0';
const SAFARI_IPHONE =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1';
const CHROME_ANDROID = 'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36';
const EDGE_MAC = 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0';

const sid = (accessToken: string) => JSON.parse(Buffer.from(accessToken.split('.')[1]!, 'base64url').toString()).sid as string;

describe('a user sees and ends their own sessions (me/sessions) and logs out the other devices', () => {
  const t = useTestApp({ TRUST_PROXY: '1' });

  const loginFrom = async (email: string, userAgent: string, ip: string) => {
    const res = await request(t.app).post(`${API}/login`).set('User-Agent', userAgent).set('X-Forwarded-For', ip).send({ email, password: PASSWORD });
    expect(res.status).toBe(200);
    return res.body as { access_token: string; refresh_token: string };
  };
  const refresh = (token: string) => request(t.app).post(`${API}/refresh`).send({ refresh_token: token });

  it('GET me/sessions lists live sessions, most recently used first, with device label and address, marking the caller’s', async () => {
    const email = uniqueEmail('devices');
    const first = await register(t.app, email);
    const laptop = await loginFrom(email, FIREFOX_WINDOWS, '203.0.113.7');
    const phone = await loginFrom(email, SAFARI_IPHONE, '2001:db8::1');
    // The laptop refreshes last, so it is the most recently used.
    const laptopNow = (await refresh(laptop.refresh_token)).body as { access_token: string };
    const ended = await loginFrom(email, CHROME_ANDROID, '203.0.113.8');
    await request(t.app).post(`${API}/logout`).set(bearer(ended.access_token)).send({});

    const res = await request(t.app).get(`${API}/me/sessions`).set(bearer(phone.access_token));
    expect(res.status).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    const sessions = res.body.sessions as { id: string; device: string; ip: string; current: boolean; last_used_at: string; created_at: string; expires_at: string; user_agent: string }[];
    expect(sessions.map((s) => s.id)).toEqual([sid(laptopNow.access_token), sid(phone.access_token), sid(first.access_token)]);
    expect(sessions.map((s) => s.device)).toEqual(['Firefox on Windows', 'Safari on iPhone', 'Unknown device']);
    expect(sessions.map((s) => s.current)).toEqual([false, true, false]);
    expect(sessions[0]).toMatchObject({ ip: '203.0.113.7', user_agent: FIREFOX_WINDOWS });
    expect(sessions[1]!.ip).toBe('2001:db8::1');
    for (const s of sessions) expect(Date.parse(s.expires_at)).toBeGreaterThan(Date.parse(s.last_used_at));
  });

  it('DELETE me/sessions/{id} from another device stops that session’s refresh and access at once, and the rest keep working', async () => {
    const email = uniqueEmail('end-one');
    const phone = await register(t.app, email);
    const laptop = await loginFrom(email, FIREFOX_WINDOWS, '203.0.113.9');

    const res = await request(t.app).delete(`${API}/me/sessions/${sid(laptop.access_token)}`).set(bearer(phone.access_token));
    expect(res.status).toBe(204);
    expect((await refresh(laptop.refresh_token)).body.error).toBe('invalid_grant');
    expect((await request(t.app).get(`${API}/me`).set(bearer(laptop.access_token))).status).toBe(401);
    expect((await refresh(phone.refresh_token)).status).toBe(200);
    // Ended already: not_found, and no second event.
    expect((await request(t.app).delete(`${API}/me/sessions/${sid(laptop.access_token)}`).set(bearer(phone.access_token))).status).toBe(404);
    const events = await t.dataSource.query(`SELECT session_id, detail FROM auth.audit_events WHERE user_id = $1 AND type = 'session_ended'`, [phone.user.id]);
    expect(events).toEqual([{ session_id: sid(laptop.access_token), detail: { by: 'user', from_session_id: sid(phone.access_token) } }]);
  });

  it('a user cannot end, or learn of, another user’s session: not_found, and it keeps working', async () => {
    const mallory = await register(t.app, uniqueEmail('mallory'));
    const victim = await register(t.app, uniqueEmail('victim'));
    const res = await request(t.app).delete(`${API}/me/sessions/${sid(victim.access_token)}`).set(bearer(mallory.access_token));
    expect(res.status).toBe(404);
    expect(res.body.error).toBe('not_found');
    expect((await refresh(victim.refresh_token)).status).toBe(200);
    const malformed = await request(t.app).delete(`${API}/me/sessions/not-a-uuid`).set(bearer(mallory.access_token));
    expect(malformed.status).toBe(404);
    expect((await request(t.app).get(`${API}/me/sessions`)).status).toBe(401);
  });

  it('logout {"scope":"others"} ends every session but the caller’s, by access token or by current refresh token', async () => {
    const email = uniqueEmail('others');
    const mine = await register(t.app, email);
    const a = await loginFrom(email, FIREFOX_WINDOWS, '203.0.113.10');
    const b = await loginFrom(email, SAFARI_IPHONE, '203.0.113.11');
    expect((await request(t.app).post(`${API}/logout`).set(bearer(mine.access_token)).send({ scope: 'others' })).status).toBe(204);
    expect((await refresh(a.refresh_token)).body.error).toBe('invalid_grant');
    expect((await refresh(b.refresh_token)).body.error).toBe('invalid_grant');
    const kept = await refresh(mine.refresh_token);
    expect(kept.status).toBe(200);
    const list = await request(t.app).get(`${API}/me/sessions`).set(bearer(kept.body.access_token));
    expect(list.body.sessions.map((s: { id: string }) => s.id)).toEqual([sid(mine.access_token)]);

    // By refresh token: the current one keeps its session; a rotated one is refused.
    const c = await loginFrom(email, CHROME_ANDROID, '203.0.113.12');
    const stale = await request(t.app).post(`${API}/logout`).send({ refresh_token: mine.refresh_token, scope: 'others' });
    expect(stale.body.error).toBe('invalid_grant');
    expect((await request(t.app).post(`${API}/logout`).send({ refresh_token: kept.body.refresh_token, scope: 'others' })).status).toBe(204);
    expect((await refresh(c.refresh_token)).body.error).toBe('invalid_grant');
    expect((await refresh(kept.body.refresh_token)).status).toBe(200);
  });

  it('lists a page of the most recently used sessions: 20 unless `limit` says (at most 100), and `has_more`', async () => {
    const user = await register(t.app, uniqueEmail('script'));
    await t.dataSource.query(
      `INSERT INTO auth.sessions (user_id, expires_at, last_used_at) SELECT $1, now() + interval '1 day', now() - g * interval '1 minute' FROM generate_series(1, 150) g`,
      [user.user.id],
    );
    const list = (query = '') => request(t.app).get(`${API}/me/sessions${query}`).set(bearer(user.access_token));
    const page = await list();
    expect(page.status).toBe(200);
    expect(page.body.sessions).toHaveLength(20);
    expect(page.body.has_more).toBe(true);
    // The caller's own session (used just now) is first.
    expect(page.body.sessions[0]).toMatchObject({ id: sid(user.access_token), current: true });

    const most = await list('?limit=100');
    expect(most.body.sessions).toHaveLength(100);
    expect(most.body.has_more).toBe(true);
    const times = most.body.sessions.map((s: { last_used_at: string }) => Date.parse(s.last_used_at));
    expect([...times].sort((x, y) => y - x)).toEqual(times);
    // The default page is the start of the long one.
    expect(page.body.sessions.map((s: { id: string }) => s.id)).toEqual(most.body.sessions.slice(0, 20).map((s: { id: string }) => s.id));

    for (const bad of ['?limit=0', '?limit=101', '?limit=ten', '?before=1']) {
      const res = await list(bad);
      expect(res.status).toBe(400);
      expect(res.body.error).toBe('invalid_request');
    }
  });

  it('has_more is false when the page holds every live session, also at exactly `limit`', async () => {
    const email = uniqueEmail('few');
    const first = await register(t.app, email);
    await loginFrom(email, FIREFOX_WINDOWS, '203.0.113.20');
    const all = await request(t.app).get(`${API}/me/sessions`).set(bearer(first.access_token));
    expect(all.body).toMatchObject({ has_more: false });
    expect(all.body.sessions).toHaveLength(2);
    const exact = await request(t.app).get(`${API}/me/sessions?limit=2`).set(bearer(first.access_token));
    expect(exact.body.sessions).toHaveLength(2);
    expect(exact.body.has_more).toBe(false);
    const one = await request(t.app).get(`${API}/me/sessions?limit=1`).set(bearer(first.access_token));
    expect(one.body.sessions).toHaveLength(1);
    expect(one.body.has_more).toBe(true);
  });

  it('labels devices coarsely from the user agent', () => {
    expect(deviceLabel(FIREFOX_WINDOWS)).toBe('Firefox on Windows');
    expect(deviceLabel(SAFARI_IPHONE)).toBe('Safari on iPhone');
    expect(deviceLabel(CHROME_ANDROID)).toBe('Chrome on Android');
    expect(deviceLabel(EDGE_MAC)).toBe('Edge on macOS');
    expect(deviceLabel('curl/8.5.0')).toBe('curl');
    expect(deviceLabel(null)).toBe('Unknown device');
    expect(deviceLabel('something else')).toBe('Unknown device');
  });
});
