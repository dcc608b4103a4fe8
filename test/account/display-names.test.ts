import request from 'supertest';
import { useTestApp } from '../support/app';
import { bearer, register, uniqueEmail } from '../auth/helpers';

/**
 * Issue 22 L8: other services show display_name to other people, so it may not hold Unicode
 * format characters (category Cf: bidi overrides, zero-width characters) or control characters,
 * and must have something visible. Refused with 400 invalid_request naming display_name, at
 * registration and at PATCH me.
 */
describe('display names', () => {
  const t = useTestApp();
  const refused: [string, string][] = [
    ['a right-to-left override', 'Mia\u202Egnp.exe'],
    ['a left-to-right isolate', '\u2066admin\u2069'],
    ['a zero-width space inside', 'Mi\u200Ba'],
    ['zero-width characters only', '\u200B\u200C\u200D'],
    ['a Hangul filler only', '\u3164'],
    ['the Braille blank only', '\u2800\u2800'],
    ['combining marks only', '\u0301\u0302'],
    ['a control character', 'Mia\u0007'],
  ];

  it.each(refused)('registration refuses %s', async (_what, name) => {
    const res = await request(t.app).post('/api/v1/auth/register').send({ email: uniqueEmail('name'), password: 'correct horse battery staple', display_name: name });
    expect({ status: res.status, error: res.body.error, param: res.body.invalid_params?.[0]?.name }).toEqual({ status: 400, error: 'invalid_request', param: 'display_name' });
  });

  it.each(refused)('PATCH me refuses %s and keeps the name', async (_what, name) => {
    const reg = await register(t.app, uniqueEmail('patch-name'), 'correct horse battery staple', { display_name: 'Mia' });
    const res = await request(t.app).patch('/api/v1/auth/me').set(bearer(reg.access_token)).send({ display_name: name });
    expect({ status: res.status, error: res.body.error }).toEqual({ status: 400, error: 'invalid_request' });
    expect((await request(t.app).get('/api/v1/auth/me').set(bearer(reg.access_token))).body.display_name).toBe('Mia');
  });

  it.each([['Mia'], ['Zoë Ångström'], ['李小龍'], ['مريم'], ['🐱 Whiskers'], ['é (with a combining accent: e\u0301)']])('accepts %s', async (name) => {
    const reg = await register(t.app, uniqueEmail('good-name'));
    const res = await request(t.app).patch('/api/v1/auth/me').set(bearer(reg.access_token)).send({ display_name: name });
    expect(res.status).toBe(200);
    expect(res.body.display_name).toBe(name);
  });
});
