import type { DatabaseError } from 'pg';
import request from 'supertest';
import { pruneEndedSessions } from '../../src/auth/sessions/session-pruning';
import { startTestApp, type TestApp } from '../support/app';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { asServiceRole } from '../support/env';
import { startPgBouncer, type PgBouncer } from '../support/pgbouncer';
import { bearer, register, uniqueEmail } from '../auth/helpers';

const PASSWORD = 'correct horse battery staple';

/**
 * The auth service as production runs it: its own least-privilege role (cathouse_auth, as the
 * policy grants it), through PgBouncer in transaction mode. The whole flow works; DDL is refused.
 */
describe('the auth runtime role through PgBouncer', () => {
  let db: TestDatabase;
  let bouncer: PgBouncer;
  let t: TestApp;

  beforeAll(async () => {
    db = await createTestDatabase();
    bouncer = await startPgBouncer(asServiceRole(db.url, 'auth'), { poolSize: 3 });
    t = await startTestApp(bouncer.url, { LOGIN_MAX_FAILURES_PER_ACCOUNT: '2' });
  });
  afterAll(async () => {
    await t?.close();
    await bouncer?.stop();
    await db?.drop();
  });

  it('connects as cathouse_auth, not as the owner of the tables', async () => {
    const [{ me, owner }] = await t.dataSource.query(`SELECT current_user AS me, (SELECT tableowner FROM pg_tables WHERE schemaname = 'auth' AND tablename = 'users') AS owner`);
    expect(me).toBe('cathouse_auth');
    expect(owner).not.toBe('cathouse_auth');
  });

  it('is ready: it reads the migration history', async () => {
    const ready = await request(t.app).get('/api/v1/auth/ready');
    expect(ready.status).toBe(200);
  });

  it('register, login, me, refresh, reuse detection, logout, throttling, deactivation by an admin, pruning', async () => {
    const email = uniqueEmail('role');
    const player = await register(t.app, email);
    const login = await request(t.app).post('/api/v1/auth/login').send({ email, password: PASSWORD });
    expect(login.status).toBe(200);
    expect((await request(t.app).get('/api/v1/auth/me').set(bearer(login.body.access_token))).body.email).toBe(email);
    const refreshed = await request(t.app).post('/api/v1/auth/refresh').send({ refresh_token: login.body.refresh_token });
    expect(refreshed.status).toBe(200);
    // Past the reuse interval (since issue 15 the last rotation's time is on the session row).
    await t.dataSource.query(`UPDATE auth.sessions SET refresh_rotated_at = refresh_rotated_at - interval '1 hour' WHERE refresh_rotated_at IS NOT NULL`);
    const reuse = await request(t.app).post('/api/v1/auth/refresh').send({ refresh_token: login.body.refresh_token });
    expect(reuse.body.error).toBe('invalid_grant');
    expect((await request(t.app).post('/api/v1/auth/logout').set(bearer(player.access_token))).status).toBe(204);

    for (let i = 0; i < 2; i++) await request(t.app).post('/api/v1/auth/login').send({ email, password: 'wrong password!' });
    expect((await request(t.app).post('/api/v1/auth/login').send({ email, password: 'wrong password!' })).status).toBe(429);

    const admin = await register(t.app, uniqueEmail('role-admin'));
    await t.dataSource.query(`UPDATE auth.users SET role = 'admin' WHERE id = $1`, [admin.user.id]);
    const patched = await request(t.app).patch(`/api/v1/auth/users/${player.user.id}`).set(bearer(admin.access_token)).send({ is_active: false });
    expect(patched.status).toBe(200);
    await t.dataSource.query(`UPDATE auth.sessions SET revoked_at = now() - interval '2 days' WHERE user_id = $1`, [player.user.id]);
    const pruned = await pruneEndedSessions(t.dataSource);
    expect(pruned.sessions).toBeGreaterThan(0);
  });

  it('cannot run DDL through the pool: PostgreSQL refuses it', async () => {
    for (const ddl of [
      'CREATE TABLE auth.sneaky (id int)',
      'ALTER TABLE auth.users ADD COLUMN sneaky text',
      'DROP TABLE auth.rate_limits',
      'CREATE INDEX sneaky ON auth.sessions (ip)',
      'CREATE SCHEMA sneaky',
    ]) {
      const err = (await t.dataSource.query(ddl).catch((e: { driverError?: DatabaseError }) => e.driverError ?? e)) as DatabaseError;
      expect({ ddl, code: err.code }).toEqual({ ddl, code: '42501' });
    }
  });
});
