import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { startTestApp, type TestApp } from '../support/app';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { startPgBouncer, type PgBouncer } from '../support/pgbouncer';
import { bearer, promoteToAdmin, register, uniqueEmail } from './helpers';

const PASSWORD = 'correct horse battery staple';

/** The whole auth flow over a real PgBouncer in transaction mode, two service instances behind it. */
describe('the auth flow through PgBouncer (transaction pooling)', () => {
  let db: TestDatabase;
  let bouncer: PgBouncer;
  const instances: { t: TestApp; server: Server; url: string }[] = [];

  beforeAll(async () => {
    db = await createTestDatabase();
    bouncer = await startPgBouncer(db.url, { poolSize: 3 });
    for (let i = 0; i < 2; i++) {
      const t = await startTestApp(bouncer.url, { DB_POOL_MAX: '8', LOGIN_MAX_FAILURES_PER_ACCOUNT: '3' });
      const server = t.app.listen(0, '127.0.0.1');
      await new Promise((resolve) => server.once('listening', resolve));
      instances.push({ t, server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` });
    }
  });
  afterAll(async () => {
    for (const { t, server } of instances) {
      await new Promise((resolve) => server.close(resolve));
      await t.close();
    }
    await bouncer?.stop();
    await db?.drop();
  });

  const app = (i: number) => instances[i % 2]!.t.app;

  it('register → login → me → refresh → logout, and an admin changing a role', async () => {
    const email = uniqueEmail('pooled');
    const reg = await register(app(0), email);
    const login = await request(app(1)).post('/api/v1/auth/login').send({ email, password: PASSWORD });
    expect(login.status).toBe(200);
    expect((await request(app(0)).get('/api/v1/auth/me').set(bearer(login.body.access_token))).status).toBe(200);
    const refreshed = await request(app(1)).post('/api/v1/auth/refresh').send({ refresh_token: login.body.refresh_token });
    expect(refreshed.status).toBe(200);
    expect((await request(app(0)).post('/api/v1/auth/logout').set(bearer(refreshed.body.access_token))).status).toBe(204);
    expect((await request(app(1)).post('/api/v1/auth/refresh').send({ refresh_token: refreshed.body.refresh_token })).body.error).toBe('invalid_grant');

    const admin = await register(app(0), uniqueEmail('pooled-admin'));
    await promoteToAdmin(instances[0]!.t, admin.user.id);
    const patched = await request(app(1)).patch(`/api/v1/auth/users/${reg.user.id}`).set(bearer(admin.access_token)).send({ role: 'developer' });
    expect(patched.body.role).toBe('developer');
  });

  it('20 concurrent refreshes of one token across both instances: one and the same new token, one live token', async () => {
    const { refresh_token } = await register(app(0), uniqueEmail('pooled-tabs'));
    const answers = await Promise.all(
      Array.from({ length: 20 }, async (_, i) => {
        const res = await fetch(`${instances[i % 2]!.url}/api/v1/auth/refresh`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ refresh_token }),
        });
        return { status: res.status, token: ((await res.json()) as { refresh_token?: string }).refresh_token };
      }),
    );
    expect(answers.map((a) => a.status)).toEqual(Array(20).fill(200));
    expect(new Set(answers.map((a) => a.token)).size).toBe(1);
    const [{ live }] = await instances[0]!.t.dataSource.query(
      `SELECT count(*)::int AS live FROM auth.refresh_tokens WHERE used_at IS NULL
          AND session_id = (SELECT session_id FROM auth.refresh_tokens WHERE parent_id IS NULL ORDER BY created_at DESC LIMIT 1)`,
    );
    expect(live).toBe(1);
  });

  it('login throttling works through the pooler (its queries carry no statement names)', async () => {
    const email = uniqueEmail('pooled-throttle');
    await register(app(0), email);
    const statuses: number[] = [];
    // Concurrent attempts spread the throttle's queries over several server connections.
    const attempts = await Promise.all(
      Array.from({ length: 3 }, (_, i) => request(app(i)).post('/api/v1/auth/login').send({ email, password: 'wrong password' })),
    );
    statuses.push(...attempts.map((a) => a.status));
    statuses.push((await request(app(1)).post('/api/v1/auth/login').send({ email, password: PASSWORD })).status);
    expect(statuses).toEqual([401, 401, 401, 429]);
  });
});
