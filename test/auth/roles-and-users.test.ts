import jwt from 'jsonwebtoken';
import request from 'supertest';
import { startTestApp, type TestApp, useTestApp } from '../support/app';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { bearer, promoteToAdmin, register, registerDeveloper, uniqueEmail } from './helpers';

const users = (id: string) => `/api/v1/auth/users/${id}`;

describe('roles, and the admin-only PATCH users/{id}', () => {
  let db: TestDatabase;
  let t: TestApp;
  let admin: Awaited<ReturnType<typeof register>>;

  beforeAll(async () => {
    db = await createTestDatabase();
    t = await startTestApp(db.url);
    admin = await register(t.app, uniqueEmail('admin'));
    await promoteToAdmin(t, admin.user.id);
  });
  afterAll(async () => {
    await t.close();
    await db.drop();
  });

  it('registration gives player by default, developer on request once the email is verified (issue 22 M5), and the role is in the token', async () => {
    const player = await register(t.app, uniqueEmail());
    expect(player.user.role).toBe('player');
    const asked = await register(t.app, uniqueEmail(), 'correct horse battery staple', { role: 'developer' });
    expect(asked.user.role).toBe('player');
    expect((jwt.decode(asked.access_token) as { role: string }).role).toBe('player');
    const developer = await registerDeveloper(t, uniqueEmail());
    expect((jwt.decode(developer.access_token) as { role: string }).role).toBe('developer');
  });

  it('self-registration as admin is refused with role_not_allowed, and no account is created', async () => {
    const email = uniqueEmail('wannabe');
    const res = await request(t.app).post('/api/v1/auth/register').send({ email, password: 'correct horse battery staple', role: 'admin' });
    expect(res.status).toBe(403);
    expect(res.body.error).toBe('role_not_allowed');
    expect(await t.dataSource.query(`SELECT 1 FROM auth.users WHERE email = $1`, [email])).toHaveLength(0);
  });

  it('a player calling the admin endpoint gets 403 forbidden and changes nothing', async () => {
    const player = await register(t.app, uniqueEmail());
    const res = await request(t.app).patch(users(player.user.id)).set(bearer(player.access_token)).send({ role: 'admin' });
    expect(res.status).toBe(403);
    expect(res.body.error).toBe('forbidden');
    const [row] = await t.dataSource.query(`SELECT role FROM auth.users WHERE id = $1`, [player.user.id]);
    expect(row.role).toBe('player');
  });

  it('a developer is no admin either, and nobody gets in without a token', async () => {
    const developer = await registerDeveloper(t, uniqueEmail());
    const res = await request(t.app).patch(users(developer.user.id)).set(bearer(developer.access_token)).send({ is_active: false });
    expect(res.body.error).toBe('forbidden');
    const anonymous = await request(t.app).patch(users(developer.user.id)).send({ is_active: false });
    expect(anonymous.status).toBe(401);
  });

  it('the admin check uses the role in the database: a demoted admin loses it at once', async () => {
    const email = uniqueEmail('admin2');
    const other = await register(t.app, email);
    await promoteToAdmin(t, other.user.id);
    const login = await request(t.app).post('/api/v1/auth/login').send({ email, password: 'correct horse battery staple' });
    const adminToken = login.body.access_token as string;
    expect((jwt.decode(adminToken) as { role: string }).role).toBe('admin');
    const target = await register(t.app, uniqueEmail());
    expect((await request(t.app).patch(users(target.user.id)).set(bearer(adminToken)).send({ role: 'developer' })).status).toBe(200);

    await t.dataSource.query(`UPDATE auth.users SET role = 'player' WHERE id = $1`, [other.user.id]);
    // The token still says "admin" until it expires; the auth service does not believe it.
    const res = await request(t.app).patch(users(target.user.id)).set(bearer(adminToken)).send({ role: 'player' });
    expect(res.body.error).toBe('forbidden');
  });

  it('an admin promotes a user to admin and changes roles back', async () => {
    const user = await register(t.app, uniqueEmail());
    const up = await request(t.app).patch(users(user.user.id)).set(bearer(admin.access_token)).send({ role: 'admin' });
    expect(up.body.role).toBe('admin');
    const down = await request(t.app).patch(users(user.user.id)).set(bearer(admin.access_token)).send({ role: 'player' });
    expect(down.status).toBe(200);
    expect(down.body.role).toBe('player');
  });

  it('deactivating a user ends all their sessions at once: refresh, me and login all refuse', async () => {
    const email = uniqueEmail('leaving');
    const first = await register(t.app, email);
    const second = await request(t.app).post('/api/v1/auth/login').send({ email, password: 'correct horse battery staple' });

    const res = await request(t.app).patch(users(first.user.id)).set(bearer(admin.access_token)).send({ is_active: false });
    expect(res.status).toBe(200);
    expect(res.body.is_active).toBe(false);

    for (const token of [first.refresh_token, second.body.refresh_token]) {
      expect((await request(t.app).post('/api/v1/auth/refresh').send({ refresh_token: token })).body.error).toBe('invalid_grant');
    }
    expect((await request(t.app).get('/api/v1/auth/me').set(bearer(second.body.access_token))).status).toBe(401);
    const login = await request(t.app).post('/api/v1/auth/login').send({ email, password: 'correct horse battery staple' });
    expect(login.status).toBe(403);
    expect(login.body.error).toBe('account_disabled');
    // Without the right password the answer stays invalid_credentials: nothing leaks to guessers.
    const guess = await request(t.app).post('/api/v1/auth/login').send({ email, password: 'wrong password here' });
    expect(guess.body.error).toBe('invalid_credentials');

    const [{ open }] = await t.dataSource.query(`SELECT count(*)::int AS open FROM auth.sessions WHERE user_id = $1 AND revoked_at IS NULL`, [
      first.user.id,
    ]);
    expect(open).toBe(0);

    // Reactivated, the user logs in again (the old sessions stay ended).
    await request(t.app).patch(users(first.user.id)).set(bearer(admin.access_token)).send({ is_active: true });
    expect((await request(t.app).post('/api/v1/auth/login').send({ email, password: 'correct horse battery staple' })).status).toBe(200);
    expect((await request(t.app).post('/api/v1/auth/refresh').send({ refresh_token: first.refresh_token })).body.error).toBe('invalid_grant');
  });

  it('answers 404 for an unknown or malformed id and 400 for a bad body', async () => {
    const missing = await request(t.app).patch(users('00000000-0000-4000-8000-000000000000')).set(bearer(admin.access_token)).send({ role: 'player' });
    expect(missing.status).toBe(404);
    expect(missing.body.error).toBe('not_found');
    const malformed = await request(t.app).patch(users('1; DROP TABLE users')).set(bearer(admin.access_token)).send({ role: 'player' });
    expect(malformed.status).toBe(404);
    for (const body of [{}, { role: 'emperor' }, { is_active: 'no' }, { role: 'player', email: 'x@y.z' }, []]) {
      const res = await request(t.app).patch(users(admin.user.id)).set(bearer(admin.access_token)).send(body);
      expect(res.status).toBe(400);
      expect(res.body.error).toBe('invalid_request');
    }
  });
});

describe('the last active admin', () => {
  const t = useTestApp();

  it('cannot be demoted or deactivated, so someone can always manage users', async () => {
    const only = await register(t.app, uniqueEmail('only-admin'));
    await promoteToAdmin(t, only.user.id);
    for (const change of [{ role: 'player' }, { is_active: false }]) {
      const res = await request(t.app).patch(users(only.user.id)).set(bearer(only.access_token)).send(change);
      expect(res.status).toBe(409);
      expect(res.body.error).toBe('last_admin');
    }
    const [row] = await t.dataSource.query(`SELECT role, is_active FROM auth.users WHERE id = $1`, [only.user.id]);
    expect(row).toEqual({ role: 'admin', is_active: true });
  });

  it('of two admins demoting each other at once, exactly one succeeds', async () => {
    const [a, b] = [await register(t.app, uniqueEmail('a')), await register(t.app, uniqueEmail('b'))];
    await t.dataSource.query(`UPDATE auth.users SET role = 'player' WHERE role = 'admin'`);
    await promoteToAdmin(t, a.user.id);
    await promoteToAdmin(t, b.user.id);
    const answers = await Promise.all([
      request(t.app).patch(users(b.user.id)).set(bearer(a.access_token)).send({ role: 'player' }),
      request(t.app).patch(users(a.user.id)).set(bearer(b.access_token)).send({ role: 'player' }),
    ]);
    // The loser is refused either as no longer an admin (403) or as the last one left (409).
    expect([[200, 403], [200, 409]]).toContainEqual(answers.map((r) => r.status).sort());
    const [{ n }] = await t.dataSource.query(`SELECT count(*)::int AS n FROM auth.users WHERE role = 'admin' AND is_active`);
    expect(n).toBe(1);
  });
});
