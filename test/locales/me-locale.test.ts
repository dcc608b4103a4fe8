import request from 'supertest';
import { bearer, uniqueEmail } from '../auth/helpers';
import { api, PASSWORD, useMailApp } from '../account/support';

describe('GET /me shows the user\'s locale (issue 30), read through auth.live_session_user', () => {
  const m = useMailApp();
  const me = async (token: string) => (await request(m.t.app).get(api('/me')).set(bearer(token)).expect(200)).body as Record<string, unknown>;

  it('after registration with Accept-Language es, and after PATCH me sets and clears it', async () => {
    const email = uniqueEmail('me-locale');
    const reg = await request(m.t.app).post(api('/register')).set('Accept-Language', 'es-ES,es;q=0.9').send({ email, password: PASSWORD }).expect(201);
    const token = reg.body.access_token as string;
    expect(reg.body.user.locale).toBe('es');
    expect(await me(token)).toMatchObject({ email, locale: 'es' });
    await request(m.t.app).patch(api('/me')).set(bearer(token)).send({ locale: 'en-GB' }).expect(200);
    expect((await me(token)).locale).toBe('en-GB');
    await request(m.t.app).patch(api('/me')).set(bearer(token)).send({ locale: null }).expect(200);
    expect(await me(token)).toMatchObject({ email, locale: null });
  });

  it('is null for a user registered in a language there is no mail in', async () => {
    const reg = await request(m.t.app).post(api('/register')).set('Accept-Language', 'fr').send({ email: uniqueEmail('me-fr'), password: PASSWORD }).expect(201);
    expect(await me(reg.body.access_token)).toHaveProperty('locale', null);
  });
});
