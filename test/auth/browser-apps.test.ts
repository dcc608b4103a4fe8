import request from 'supertest';
import { useTestApp } from '../support/app';
import { bearer, uniqueEmail } from './helpers';

const APP_ORIGIN = 'https://app.cathouse.example';
const EVIL_ORIGIN = 'https://evil.example';
const PASSWORD = 'correct horse battery staple';

function refreshCookieOf(res: request.Response): { value: string; attributes: string[] } | undefined {
  const header = ([] as string[]).concat(res.headers['set-cookie'] ?? []).find((c) => c.startsWith('__Host-refresh_token='));
  if (!header) return undefined;
  const [pair, ...attributes] = header.split(';').map((s) => s.trim());
  return { value: decodeURIComponent(pair!.slice('__Host-refresh_token='.length)), attributes };
}

describe('CORS for browser apps', () => {
  const t = useTestApp({ CORS_ORIGINS: `${APP_ORIGIN},http://localhost:5173` });

  it('a listed origin gets its origin echoed and credentials allowed, on preflight and on the request', async () => {
    const preflight = await request(t.app)
      .options('/api/v1/auth/login')
      .set('Origin', APP_ORIGIN)
      .set('Access-Control-Request-Method', 'POST')
      .set('Access-Control-Request-Headers', 'content-type,x-requested-with');
    expect(preflight.status).toBe(204);
    expect(preflight.headers['access-control-allow-origin']).toBe(APP_ORIGIN);
    expect(preflight.headers['access-control-allow-credentials']).toBe('true');
    expect(preflight.headers['access-control-allow-headers']).toMatch(/X-Requested-With/i);

    const res = await request(t.app).post('/api/v1/auth/register').set('Origin', APP_ORIGIN).send({ email: uniqueEmail(), password: PASSWORD });
    expect(res.status).toBe(201);
    expect(res.headers['access-control-allow-origin']).toBe(APP_ORIGIN);
    expect(res.headers.vary).toMatch(/Origin/);
  });

  it('a listed origin may use every method the API has: PATCH me, DELETE me and me/sessions/{id}', async () => {
    for (const [path, method] of [
      ['/api/v1/auth/me', 'PATCH'],
      ['/api/v1/auth/me', 'DELETE'],
      ['/api/v1/auth/me/sessions/00000000-0000-4000-8000-000000000000', 'DELETE'],
    ] as const) {
      const preflight = await request(t.app)
        .options(path)
        .set('Origin', APP_ORIGIN)
        .set('Access-Control-Request-Method', method)
        .set('Access-Control-Request-Headers', 'authorization,content-type');
      expect({ method, status: preflight.status }).toEqual({ method, status: 204 });
      expect(preflight.headers['access-control-allow-methods']!.split(',')).toContain(method);
    }
  });

  it('a request without Origin (not a CORS request) gets Vary: Origin and no CORS headers', async () => {
    const res = await request(t.app).get('/api/v1/auth/health');
    expect(res.headers.vary).toMatch(/Origin/);
    expect(Object.keys(res.headers).filter((h) => h.startsWith('access-control-'))).toEqual([]);
  });

  it('an unlisted origin gets no CORS headers at all (no wildcard, no credentials)', async () => {
    const preflight = await request(t.app)
      .options('/api/v1/auth/login')
      .set('Origin', EVIL_ORIGIN)
      .set('Access-Control-Request-Method', 'POST');
    expect(preflight.headers['access-control-allow-origin']).toBeUndefined();
    expect(preflight.headers['access-control-allow-credentials']).toBeUndefined();
    const res = await request(t.app).get('/.well-known/jwks.json').set('Origin', EVIL_ORIGIN);
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('without cookie mode the refresh token travels in the body and no cookie is set', async () => {
    const res = await request(t.app).post('/api/v1/auth/register').send({ email: uniqueEmail(), password: PASSWORD });
    expect(res.body.refresh_token).toEqual(expect.any(String));
    expect(res.headers['set-cookie']).toBeUndefined();
  });
});

describe('cookie mode (REFRESH_TOKEN_COOKIE=true): the refresh token in an HttpOnly __Host- cookie, with CSRF protection', () => {
  const t = useTestApp({ CORS_ORIGINS: APP_ORIGIN, REFRESH_TOKEN_COOKIE: 'true' });

  const browser = (req: request.Test) => req.set('Origin', APP_ORIGIN).set('X-Requested-With', 'fetch');

  it('login sets the cookie HttpOnly, Secure, SameSite=Strict, Path=/ and leaves it out of the body', async () => {
    const email = uniqueEmail();
    await browser(request(t.app).post('/api/v1/auth/register')).send({ email, password: PASSWORD });
    const res = await browser(request(t.app).post('/api/v1/auth/login')).send({ email, password: PASSWORD });
    expect(res.status).toBe(200);
    expect(res.body.refresh_token).toBeUndefined();
    expect(res.body.access_token).toEqual(expect.any(String));
    const cookie = refreshCookieOf(res)!;
    expect(cookie.value).toMatch(/^[A-Za-z0-9_-]{22}\.0\.[A-Za-z0-9_-]{43}\.[A-Za-z0-9_-]{22}$/);
    expect(cookie.attributes).toEqual(expect.arrayContaining(['HttpOnly', 'Secure', 'SameSite=Strict', 'Path=/']));
    expect(cookie.attributes.some((a) => a.toLowerCase().startsWith('domain='))).toBe(false);
  });

  it('refresh reads the cookie and rotates it; logout clears it; the old cookie is then refused', async () => {
    const reg = await browser(request(t.app).post('/api/v1/auth/register')).send({ email: uniqueEmail(), password: PASSWORD });
    const first = refreshCookieOf(reg)!.value;

    const refreshed = await browser(request(t.app).post('/api/v1/auth/refresh')).set('Cookie', `__Host-refresh_token=${first}`);
    expect(refreshed.status).toBe(200);
    const second = refreshCookieOf(refreshed)!.value;
    expect(second).not.toBe(first);
    expect(refreshed.body.refresh_token).toBeUndefined();

    const logout = await browser(request(t.app).post('/api/v1/auth/logout')).set('Cookie', `__Host-refresh_token=${second}`);
    expect(logout.status).toBe(204);
    expect(([] as string[]).concat(logout.headers['set-cookie'] ?? []).join()).toMatch(/__Host-refresh_token=;.*Expires=Thu, 01 Jan 1970/);

    const after = await browser(request(t.app).post('/api/v1/auth/refresh')).set('Cookie', `__Host-refresh_token=${second}`);
    expect(after.body.error).toBe('invalid_grant');
  });

  it("logout scope others keeps this browser's cookie (its session goes on) and ends the other sessions", async () => {
    const email = uniqueEmail();
    const mine = refreshCookieOf(await browser(request(t.app).post('/api/v1/auth/register')).send({ email, password: PASSWORD }))!.value;
    const other = refreshCookieOf(await browser(request(t.app).post('/api/v1/auth/login')).send({ email, password: PASSWORD }))!.value;

    const logout = await browser(request(t.app).post('/api/v1/auth/logout')).set('Cookie', `__Host-refresh_token=${mine}`).send({ scope: 'others' });
    expect(logout.status).toBe(204);
    expect(refreshCookieOf(logout)).toBeUndefined();

    const stillMine = await browser(request(t.app).post('/api/v1/auth/refresh')).set('Cookie', `__Host-refresh_token=${mine}`);
    expect(stillMine.status).toBe(200);
    const theirs = await browser(request(t.app).post('/api/v1/auth/refresh')).set('Cookie', `__Host-refresh_token=${other}`);
    expect(theirs.body.error).toBe('invalid_grant');
  });

  it('the token endpoint reads the cookie too', async () => {
    const reg = await browser(request(t.app).post('/api/v1/auth/register')).send({ email: uniqueEmail(), password: PASSWORD });
    const res = await browser(request(t.app).post('/api/v1/auth/token'))
      .set('Cookie', `__Host-refresh_token=${refreshCookieOf(reg)!.value}`)
      .type('form')
      .send({ grant_type: 'refresh_token' });
    expect(res.status).toBe(200);
    expect(refreshCookieOf(res)).toBeDefined();
  });

  it('CSRF: without X-Requested-With a cookie-bearing request is refused with csrf_failed', async () => {
    const reg = await browser(request(t.app).post('/api/v1/auth/register')).send({ email: uniqueEmail(), password: PASSWORD });
    const cookie = `__Host-refresh_token=${refreshCookieOf(reg)!.value}`;
    // What a cross-site HTML form can send: a simple request, no custom header.
    const forged = await request(t.app).post('/api/v1/auth/token').set('Origin', APP_ORIGIN).set('Cookie', cookie).type('form').send({ grant_type: 'refresh_token' });
    expect(forged.status).toBe(403);
    expect(forged.body.error).toBe('csrf_failed');
    const logout = await request(t.app).post('/api/v1/auth/logout').set('Cookie', cookie);
    expect(logout.body.error).toBe('csrf_failed');
    // The session was not touched.
    expect((await browser(request(t.app).post('/api/v1/auth/refresh')).set('Cookie', cookie)).status).toBe(200);
  });

  it('CSRF: an unlisted Origin is refused even with the header (e.g. a sibling subdomain)', async () => {
    const reg = await browser(request(t.app).post('/api/v1/auth/register')).send({ email: uniqueEmail(), password: PASSWORD });
    const cookie = `__Host-refresh_token=${refreshCookieOf(reg)!.value}`;
    for (const origin of [EVIL_ORIGIN, 'https://evil.cathouse.example', 'null']) {
      const res = await request(t.app).post('/api/v1/auth/refresh').set('Origin', origin).set('X-Requested-With', 'fetch').set('Cookie', cookie);
      expect(res.status).toBe(403);
      expect(res.body.error).toBe('csrf_failed');
    }
  });

  it('login CSRF is blocked too: a form post cannot log the victim into another account', async () => {
    const res = await request(t.app).post('/api/v1/auth/token').set('Origin', EVIL_ORIGIN).type('form').send({ grant_type: 'password', username: uniqueEmail(), password: PASSWORD });
    expect(res.body.error).toBe('csrf_failed');
    expect(res.headers['set-cookie']).toBeUndefined();
  });

  it('a request from the service\'s own origin (same-origin frontend) passes', async () => {
    const res = await request(t.app)
      .post('/api/v1/auth/register')
      .set('Host', 'auth.cathouse.example')
      .set('Origin', 'http://auth.cathouse.example')
      .set('X-Requested-With', 'fetch')
      .send({ email: uniqueEmail(), password: PASSWORD });
    expect(res.status).toBe(201);
  });

  it('L2: an HTTPS page of the service behind a TLS-terminating proxy passes without TRUST_PROXY (the host decides); another port or host does not', async () => {
    // The request reaches the service as plain HTTP (supertest), as from a TLS proxy; the page was https.
    const fromHttpsPage = await request(t.app)
      .post('/api/v1/auth/register')
      .set('Host', 'auth.cathouse.example')
      .set('Origin', 'https://auth.cathouse.example')
      .set('X-Requested-With', 'fetch')
      .send({ email: uniqueEmail(), password: PASSWORD });
    expect(fromHttpsPage.status).toBe(201);
    for (const origin of ['https://auth.cathouse.example:8443', 'https://other.cathouse.example']) {
      const res = await request(t.app)
        .post('/api/v1/auth/register')
        .set('Host', 'auth.cathouse.example')
        .set('Origin', origin)
        .set('X-Requested-With', 'fetch')
        .send({ email: uniqueEmail(), password: PASSWORD });
      expect({ origin, error: res.body.error }).toEqual({ origin, error: 'csrf_failed' });
    }
  });

  it('bearer-only endpoints (me) need no CSRF header: a bearer token is never sent by the browser on its own', async () => {
    const reg = await browser(request(t.app).post('/api/v1/auth/register')).send({ email: uniqueEmail(), password: PASSWORD });
    expect((await request(t.app).get('/api/v1/auth/me').set(bearer(reg.body.access_token))).status).toBe(200);
  });

  it('a refresh without cookie or body says what is missing', async () => {
    const res = await browser(request(t.app).post('/api/v1/auth/refresh'));
    expect(res.status).toBe(400);
    expect(res.body.detail).toMatch(/__Host-refresh_token/);
  });
});
