import request from 'supertest';
import { useTestApp } from '../support/app';
import { bearer, promoteToAdmin, register, uniqueEmail } from './helpers';

describe('the auth flow as a frontend uses it', () => {
  const t = useTestApp();

  it('register → login → me → refresh → logout, and the old tokens stop working', async () => {
    const email = uniqueEmail('flow');
    const registered = await register(t.app, `  ${email.toUpperCase()} `, 'correct horse battery staple', { display_name: 'Mia' });
    expect(registered).toMatchObject({ token_type: 'Bearer', expires_in: 900, user: { email, role: 'player', display_name: 'Mia', is_active: true } });
    expect(registered.refresh_token).toMatch(/^[A-Za-z0-9_-]{22}\.0\.[A-Za-z0-9_-]{43}\.[A-Za-z0-9_-]{22}$/);

    const login = await request(t.app).post('/api/v1/auth/login').send({ email, password: 'correct horse battery staple' });
    expect(login.status).toBe(200);
    expect(login.headers['cache-control']).toBe('no-store');
    expect(login.body.user.email).toBe(email);

    const me = await request(t.app).get('/api/v1/auth/me').set(bearer(login.body.access_token));
    expect(me.status).toBe(200);
    expect(Object.keys(me.body).sort()).toEqual(['created_at', 'display_name', 'email', 'email_verified', 'id', 'is_active', 'is_anonymous', 'locale', 'role']);

    const refreshed = await request(t.app).post('/api/v1/auth/refresh').send({ refresh_token: login.body.refresh_token });
    expect(refreshed.status).toBe(200);
    expect(refreshed.body.refresh_token).not.toBe(login.body.refresh_token);
    expect(refreshed.body.user).toBeUndefined();

    const logout = await request(t.app).post('/api/v1/auth/logout').set(bearer(refreshed.body.access_token));
    expect(logout.status).toBe(204);

    const meAfter = await request(t.app).get('/api/v1/auth/me').set(bearer(refreshed.body.access_token));
    expect(meAfter.status).toBe(401);
    expect(meAfter.body.error).toBe('invalid_token');
    const refreshAfter = await request(t.app).post('/api/v1/auth/refresh').send({ refresh_token: refreshed.body.refresh_token });
    expect(refreshAfter.status).toBe(400);
    expect(refreshAfter.body.error).toBe('invalid_grant');

    // The registration's own session is untouched by logging out the other one.
    const meFirst = await request(t.app).get('/api/v1/auth/me').set(bearer(registered.access_token));
    expect(meFirst.status).toBe(200);
  });

  it('an admin changes a role, and the next refresh carries it', async () => {
    const admin = await register(t.app, uniqueEmail('admin'));
    await promoteToAdmin(t, admin.user.id);
    const player = await register(t.app, uniqueEmail('player'));

    const changed = await request(t.app)
      .patch(`/api/v1/auth/users/${player.user.id}`)
      .set(bearer(admin.access_token))
      .send({ role: 'developer' });
    expect(changed.status).toBe(200);
    expect(changed.body).toMatchObject({ id: player.user.id, role: 'developer', is_active: true });

    const refreshed = await request(t.app).post('/api/v1/auth/refresh').send({ refresh_token: player.refresh_token });
    const claims = JSON.parse(Buffer.from(refreshed.body.access_token.split('.')[1], 'base64url').toString());
    expect(claims.role).toBe('developer');
  });
});
