import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import fc from 'fast-check';
import request from 'supertest';
import { startTestApp, type TestApp } from '../support/app';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { promoteToAdmin, register, uniqueEmail } from './helpers';

const PREFIX = '/api/v1/auth';
const BODY_ENDPOINTS = ['/register', '/login', '/refresh', '/token', '/logout'] as const;

describe('every malformed body is a 4xx problem+json (RFC 6749 JSON at /token) with a stable code', () => {
  let db: TestDatabase;
  let t: TestApp;
  let adminToken: string;
  let adminId: string;

  beforeAll(async () => {
    db = await createTestDatabase();
    t = await startTestApp(db.url, { LOGIN_MAX_FAILURES_PER_IP: '100000', LOGIN_MAX_FAILURES_PER_ACCOUNT: '10000' });
    const admin = await register(t.app, uniqueEmail('admin'));
    await promoteToAdmin(t, admin.user.id);
    adminToken = admin.access_token;
    adminId = admin.user.id;
  });
  afterAll(async () => {
    await t.close();
    await db.drop();
  });

  const expectProblem = (res: request.Response, status: number, error: string) => {
    if ((res as unknown as { req: { path: string } }).req.path.endsWith('/token')) {
      // The token endpoint answers RFC 6749 §5.2 JSON instead: body errors are invalid_request there (test/auth/oauth-errors.test.ts).
      expect({ status: res.status, error: res.body.error }).toEqual({ status, error: 'invalid_request' });
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      expect(typeof res.body.error_description).toBe('string');
      return;
    }
    expect({ status: res.status, error: res.body.error }).toEqual({ status, error });
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body).toMatchObject({ type: `urn:cathouse:problem:${error}`, status });
    expect(JSON.stringify(res.body)).not.toMatch(/at .*\.ts:\d+|node_modules/);
  };

  it.each(BODY_ENDPOINTS)('%s: malformed JSON is invalid_json', async (path) => {
    const res = await request(t.app).post(PREFIX + path).set('content-type', 'application/json').send('{"email": ');
    expectProblem(res, 400, 'invalid_json');
  });

  it.each(BODY_ENDPOINTS)('%s: an oversized body is 413 payload_too_large', async (path) => {
    const res = await request(t.app).post(PREFIX + path).send({ email: 'x'.repeat(20_000) });
    expectProblem(res, 413, 'payload_too_large');
  });

  it.each(BODY_ENDPOINTS)('%s: a wrong content type is 415', async (path) => {
    const res = await request(t.app).post(PREFIX + path).set('content-type', 'text/xml').send('<email/>');
    expectProblem(res, 415, 'unsupported_media_type');
  });

  it.each(['/register', '/login', '/token'] as const)('%s: top-level arrays, strings, numbers and null are invalid', async (path) => {
    for (const raw of ['[]', '[{"email":"a@b.co"}]', '"text"', '42', 'null', 'true']) {
      const res = await request(t.app).post(PREFIX + path).set('content-type', 'application/json').send(raw);
      expect(res.status).toBe(400);
      expect(['invalid_request', 'invalid_json']).toContain(res.body.error);
    }
  });

  const registerCases: [string, object, string][] = [
    ['email as a number', { email: 42, password: 'correct horse battery staple' }, 'email'],
    ['email as an array', { email: ['a@b.co'], password: 'correct horse battery staple' }, 'email'],
    ['email as an object', { email: { $ne: '' }, password: 'correct horse battery staple' }, 'email'],
    ['password as an object', { email: 'a@b.co', password: { length: 100 } }, 'password'],
    ['password as an array', { email: 'a@b.co', password: ['correct horse battery staple'] }, 'password'],
    ['password as null', { email: 'a@b.co', password: null }, 'password'],
    ['missing email', { password: 'correct horse battery staple' }, 'email'],
    ['missing password', { email: 'a@b.co' }, 'password'],
    ['an unknown field', { email: 'a@b.co', password: 'correct horse battery staple', is_admin: true }, 'is_admin'],
    ['a __proto__ field', JSON.parse('{"email":"a@b.co","password":"correct horse battery staple","__proto__":{"role":"admin"}}'), '__proto__'],
    ['role not a role', { email: 'a@b.co', password: 'correct horse battery staple', role: 'root' }, 'role'],
    ['display_name too long', { email: 'a@b.co', password: 'correct horse battery staple', display_name: 'x'.repeat(101) }, 'display_name'],
    ['display_name as a number', { email: 'a@b.co', password: 'correct horse battery staple', display_name: 7 }, 'display_name'],
  ];
  it.each(registerCases)('register: %s → invalid_request naming the field', async (_name, body, field) => {
    const res = await request(t.app).post(`${PREFIX}/register`).send(body);
    expectProblem(res, 400, 'invalid_request');
    expect(res.body.invalid_params.map((p: { name: string }) => p.name)).toContain(field);
    expect(res.body.detail).toContain(field);
  });

  const loginCases: [string, object, string][] = [
    ['email as a number', { email: 1, password: 'x' }, 'email'],
    ['password as an object', { email: 'a@b.co', password: { $gt: '' } }, 'password'],
    ['missing password', { email: 'a@b.co' }, 'password'],
    ['empty password', { email: 'a@b.co', password: '' }, 'password'],
    ['an unknown field', { email: 'a@b.co', password: 'x', remember: true }, 'remember'],
  ];
  it.each(loginCases)('login: %s → invalid_request naming the field', async (_name, body, field) => {
    const res = await request(t.app).post(`${PREFIX}/login`).send(body);
    expectProblem(res, 400, 'invalid_request');
    expect(res.body.invalid_params.map((p: { name: string }) => p.name)).toContain(field);
  });

  it('refresh and logout: wrong types and unknown fields are invalid_request', async () => {
    for (const [path, body, field] of [
      ['/refresh', { refresh_token: 12 }, 'refresh_token'],
      ['/refresh', { refresh_token: ['a'] }, 'refresh_token'],
      ['/refresh', {}, 'refresh_token'],
      ['/refresh', { refresh_token: 'a', extra: 1 }, 'extra'],
      ['/logout', { scope: 'everything' }, 'scope'],
      ['/logout', { refresh_token: { a: 1 } }, 'refresh_token'],
    ] as const) {
      const res = await request(t.app).post(PREFIX + path).send(body);
      expectProblem(res, 400, 'invalid_request');
      expect(res.body.invalid_params.map((p: { name: string }) => p.name)).toContain(field);
    }
  });

  it('unknown routes are 404 not_found and wrong methods 405 with Allow', async () => {
    expectProblem(await request(t.app).get(`${PREFIX}/nope`), 404, 'not_found');
    const wrong = await request(t.app).get(`${PREFIX}/login`);
    expectProblem(wrong, 405, 'method_not_allowed');
    expect(wrong.headers.allow).toBe('POST');
  });

  describe('property: no endpoint answers 5xx to any body', () => {
    let server: Server;
    let base: string;
    beforeAll(async () => {
      server = t.app.listen(0, '127.0.0.1');
      await new Promise((resolve) => server.once('listening', resolve));
      base = `http://127.0.0.1:${(server.address() as AddressInfo).port}${PREFIX}`;
    });
    afterAll(() => new Promise((resolve) => server.close(resolve)));

    const fieldNames = ['email', 'password', 'display_name', 'role', 'refresh_token', 'grant_type', 'username', 'scope', 'is_active', 'client_id'];
    const anyValue = fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.integer(), fc.double(), fc.boolean(), fc.constant(null), fc.anything());
    const body = fc.oneof(
      // Plausible objects with the right names and any values.
      fc.dictionary(fc.constantFrom(...fieldNames), anyValue).map((v) => JSON.stringify(v)),
      fc.record({
        grant_type: fc.constantFrom('password', 'refresh_token', 'client_credentials'),
        username: fc.oneof(fc.emailAddress(), fc.string()),
        password: fc.string({ unit: 'binary' }),
        refresh_token: fc.oneof(fc.base64String({ minLength: 43, maxLength: 44 }), fc.string()),
      }, { requiredKeys: [] }).map((v) => JSON.stringify(v)),
      fc.record({ email: fc.emailAddress(), password: fc.string({ unit: 'binary', maxLength: 80 }), role: fc.constantFrom('player', 'developer', 'admin', 'x') }, { requiredKeys: ['email'] }).map((v) => JSON.stringify(v)),
      // Anything JSON can hold, and text that is not JSON at all.
      fc.jsonValue().map((v) => JSON.stringify(v)),
      fc.anything().map((v) => String(JSON.stringify(v))),
      fc.string({ unit: 'binary' }),
      fc.string().map((s) => `grant_type=password&username=${s}&password=${s}`),
    );
    const contentType = fc.constantFrom(
      'application/json',
      'application/json; charset=utf-8',
      'application/json; charset=latin1',
      'application/problem+json',
      'application/x-www-form-urlencoded',
      'text/plain',
      'multipart/form-data; boundary=x',
      '',
    );
    const endpoint = fc.constantFrom(
      { method: 'POST', path: '/register' },
      { method: 'POST', path: '/login' },
      { method: 'POST', path: '/refresh' },
      { method: 'POST', path: '/token' },
      { method: 'POST', path: '/logout' },
      { method: 'PATCH', path: '/users/ADMIN' },
      { method: 'PATCH', path: '/users/not-a-uuid' },
      { method: 'GET', path: '/me' },
    );
    const authorization = fc.oneof(fc.constant(undefined), fc.constant('ADMIN'), fc.string().map((s) => `Bearer ${s}`), fc.string());

    it('holds for 600 generated requests', async () => {
      await fc.assert(
        fc.asyncProperty(endpoint, body, contentType, authorization, async (target, payload, type, auth) => {
          const headers: Record<string, string> = {};
          if (type) headers['content-type'] = type;
          if (auth === 'ADMIN') headers.authorization = `Bearer ${adminToken}`;
          else if (auth !== undefined && /^[\x20-\x7e]*$/.test(auth)) headers.authorization = auth;
          const res = await fetch(base + target.path.replace('ADMIN', adminId), {
            method: target.method,
            headers,
            body: target.method === 'GET' ? undefined : payload,
          });
          const text = await res.text();
          if (res.status >= 500) throw new Error(`${target.method} ${target.path} answered ${res.status}: ${text}`);
          if (res.status >= 400) {
            // RFC 6749 §5.2 JSON at the token endpoint, problem+json everywhere else.
            expect(res.headers.get('content-type')).toMatch(target.path === '/token' ? /^application\/json/ : /^application\/problem\+json/);
            expect(typeof JSON.parse(text).error).toBe('string');
          }
        }),
        { numRuns: 600 },
      );
    });
  });
});
