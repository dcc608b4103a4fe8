import request from 'supertest';
import { Client } from 'pg';
import { startTestApp, type TestApp } from '../support/app';
import { asServiceRole } from '../support/env';
import { startStreamingPair, type StreamingPair } from '../support/streaming-replica';
import { bearer, register, uniqueEmail } from '../auth/helpers';

const API = '/api/v1/auth';

/**
 * DATABASE_READ_URL against a real streaming standby (pg_basebackup -R) of a real primary. With
 * the standby's replay paused, whatever the app reads from it is frozen: what an endpoint shows of
 * a change made since tells which server answered.
 */
describe('a read replica serves only the reads that may lag; the primary answers when it is down', () => {
  let pair: StreamingPair;
  let t: TestApp;
  let admin: { access_token: string };
  const tag = `replica${Date.now().toString(36)}`;

  const get = (path: string, token: string) => request(t.app).get(`${API}${path}`).set(bearer(token));
  const searchEmails = async (prefix: string) => ((await get(`/users?email=${prefix}`, admin.access_token).expect(200)).body.users as { email: string }[]).map((u) => u.email);
  const onPrimary = async (text: string, params: unknown[] = []) => {
    const client = new Client({ connectionString: pair.primaryUrl });
    await client.connect();
    try {
      return (await client.query(text, params)).rows;
    } finally {
      await client.end();
    }
  };

  beforeAll(async () => {
    pair = await startStreamingPair();
    // Both as the auth service's own role, as a deployment connects.
    t = await startTestApp(asServiceRole(pair.primaryUrl, 'auth'), { DATABASE_READ_URL: asServiceRole(pair.standbyUrl, 'auth') });
    const made = await register(t.app, uniqueEmail(`${tag}-admin`));
    await onPrimary(`UPDATE auth.users SET role = 'admin' WHERE id = $1`, [made.user.id]);
    admin = await request(t.app).post(`${API}/refresh`).send({ refresh_token: made.refresh_token }).then((r) => r.body);
    await pair.caughtUp();
  }, 180_000);

  afterAll(async () => {
    await t?.close();
    await pair?.destroy();
  });

  it('admin search, GET events and GET me/events read the replica; GET me, me/sessions, refresh and revocation the primary', async () => {
    await pair.pauseReplay();
    try {
      const email = uniqueEmail(`${tag}-new`);
      const user = await register(t.app, email);
      // The replica has not replayed the registration: the lag-tolerant reads do not see it...
      expect(await searchEmails(email.slice(0, 30))).toEqual([]);
      expect((await get(`/events?user_id=${user.user.id}`, admin.access_token).expect(200)).body.events).toEqual([]);
      // ...while the user's own session check (GET me) and session list read the primary.
      expect((await get('/me', user.access_token).expect(200)).body.email).toBe(email);
      expect((await get('/me/events', user.access_token).expect(200)).body.events).toEqual([]);
      expect((await get('/me/sessions', user.access_token).expect(200)).body.sessions).toHaveLength(1);
      // A refresh rotates on the primary; an admin's revocation ends the session at once.
      const refreshed = await request(t.app).post(`${API}/refresh`).send({ refresh_token: user.refresh_token }).expect(200);
      await request(t.app).delete(`${API}/users/${user.user.id}/sessions`).set(bearer(admin.access_token)).expect(200);
      await request(t.app).post(`${API}/refresh`).send({ refresh_token: refreshed.body.refresh_token }).expect(400);
      // Reuse detection reads the primary: the first token, replayed, is refused too.
      await request(t.app).post(`${API}/refresh`).send({ refresh_token: user.refresh_token }).expect(400);
    } finally {
      await pair.resumeReplay();
    }
    await pair.caughtUp();
    const emails = await searchEmails(`${tag}-new`);
    expect(emails).toHaveLength(1);
  });

  it('with the replica down, the same reads answer from the primary; once it is back, they go to it again', async () => {
    await pair.stopStandby();
    const email = uniqueEmail(`${tag}-down`);
    const user = await register(t.app, email);
    expect(await searchEmails(email.slice(0, 30))).toEqual([email]);
    expect((await get('/me/events', user.access_token).expect(200)).body.events.map((e: { type: string }) => e.type)).toEqual(['user_registered']);
    expect((await get(`/events?user_id=${user.user.id}`, admin.access_token).expect(200)).body.events).toHaveLength(1);

    await pair.startStandby();
    await pair.caughtUp();
    // After the fallback's pause (5 s), the replica is tried again: a frozen replica shows it answers.
    await new Promise((r) => setTimeout(r, 5_500));
    await pair.pauseReplay();
    try {
      const later = uniqueEmail(`${tag}-back`);
      await register(t.app, later);
      expect(await searchEmails(later.slice(0, 30))).toEqual([]);
    } finally {
      await pair.resumeReplay();
    }
  }, 60_000);
});
