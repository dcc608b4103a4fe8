import request from 'supertest';
import { startTestApp, type TestApp } from '../support/app';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { register, uniqueEmail } from './helpers';

const TOKEN = '/api/v1/auth/token';
const PASSWORD = 'correct horse battery staple';

describe('POST /token, the OAuth 2.0 shape (RFC 6749)', () => {
  let db: TestDatabase;
  let t: TestApp;
  let email: string;

  beforeAll(async () => {
    db = await createTestDatabase();
    t = await startTestApp(db.url);
    email = uniqueEmail();
    await register(t.app, email);
  });
  afterAll(async () => {
    await t.close();
    await db.drop();
  });

  it('grant_type=password, form-encoded with username, answers an RFC 6749 §5.1 token response', async () => {
    const res = await request(t.app).post(TOKEN).type('form').send({ grant_type: 'password', username: email, password: PASSWORD });
    expect(res.status).toBe(200);
    expect(Object.keys(res.body).sort()).toEqual(['access_token', 'expires_in', 'refresh_token', 'token_type']);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.headers.pragma).toBe('no-cache');
  });

  it('grant_type=password as JSON with email, and with client_id/scope that OAuth clients send', async () => {
    const res = await request(t.app).post(TOKEN).send({ grant_type: 'password', email, password: PASSWORD, client_id: 'cathouse-web', scope: 'openid' });
    expect(res.status).toBe(200);
  });

  it('grant_type=refresh_token, form-encoded and JSON, rotates like /refresh', async () => {
    const { refresh_token } = await register(t.app, uniqueEmail());
    const form = await request(t.app).post(TOKEN).type('form').send({ grant_type: 'refresh_token', refresh_token });
    expect(form.status).toBe(200);
    expect(form.body.refresh_token).not.toBe(refresh_token);
    const json = await request(t.app).post(TOKEN).send({ grant_type: 'refresh_token', refresh_token: form.body.refresh_token });
    expect(json.status).toBe(200);
  });

  it('a wrong password is 400 invalid_grant (RFC 6749 §5.2) and an unknown refresh token invalid_grant', async () => {
    const wrong = await request(t.app).post(TOKEN).type('form').send({ grant_type: 'password', username: email, password: 'nope nope' });
    expect({ status: wrong.status, error: wrong.body.error }).toEqual({ status: 400, error: 'invalid_grant' });
    expect(wrong.headers['content-type']).toMatch(/^application\/json/);
    expect(wrong.headers['cache-control']).toBe('no-store');
    const unknown = await request(t.app).post(TOKEN).type('form').send({ grant_type: 'refresh_token', refresh_token: 'B'.repeat(43) });
    expect(unknown.body.error).toBe('invalid_grant');
  });

  it('an unknown grant type answers unsupported_grant_type', async () => {
    for (const grant_type of ['authorization_code', 'urn:ietf:params:oauth:grant-type:jwt-bearer', '']) {
      const res = await request(t.app).post(TOKEN).type('form').send({ grant_type });
      expect(res.status).toBe(400);
      expect(res.body.error).toBe('unsupported_grant_type');
    }
  });

  it('a missing or non-string grant type, missing fields and extra fields are invalid_request', async () => {
    const cases: [object, string][] = [
      [{ username: email, password: PASSWORD }, 'grant_type'],
      [{ grant_type: ['password'], username: email, password: PASSWORD }, 'grant_type'],
      [{ grant_type: 'password', password: PASSWORD }, 'username'],
      [{ grant_type: 'password', username: email }, 'password'],
      [{ grant_type: 'refresh_token' }, 'refresh_token'],
      [{ grant_type: 'password', username: email, password: PASSWORD, admin: true }, 'admin'],
      [{ grant_type: 'password', username: email, email: uniqueEmail(), password: PASSWORD }, 'username'],
    ];
    for (const [body, field] of cases) {
      const res = await request(t.app).post(TOKEN).send(body);
      expect({ field, status: res.status, error: res.body.error }).toEqual({ field, status: 400, error: 'invalid_request' });
      expect(res.body.invalid_params.map((p: { name: string }) => p.name)).toContain(field);
    }
  });

  it('duplicate form parameters are refused, not merged (RFC 6749 §3.2)', async () => {
    const res = await request(t.app).post(TOKEN).type('form').send(`grant_type=password&username=${encodeURIComponent(email)}&password=a&password=b`);
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('invalid_request');
  });

  it('other content types are 415 on /token, and form bodies are 415 on the JSON endpoints', async () => {
    const text = await request(t.app).post(TOKEN).set('content-type', 'text/plain').send('grant_type=password');
    expect(text.status).toBe(415);
    expect(text.body.error).toBe('invalid_request');
    const form = await request(t.app).post('/api/v1/auth/login').type('form').send({ email, password: PASSWORD });
    expect(form.status).toBe(415);
  });
});
