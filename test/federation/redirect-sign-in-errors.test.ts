import { createHash } from 'node:crypto';
import request from 'supertest';
import { parseWebSignInSettings } from '../../src/config/web-sign-in-settings';
import { APP_RETURN_URL, useRedirectTestbed } from './redirect-support';

/**
 * Web redirect sign-in (issue 25 item 2) over real HTTP: every refusal on the callback lands on an
 * allow-listed frontend URL with an OAuth-style error, never a 500; starts and exchanges refuse
 * what they must with a stable code.
 */
const bed = useRedirectTestbed();

/** Starts a sign-in: the provider URL (with its state) and the sealed state cookie. */
async function start(returnTo = bed.frontend): Promise<{ location: URL; cookie: string }> {
  const res = await request(bed.origin).get(`/api/v1/auth/redirect/acme?return_to=${encodeURIComponent(returnTo)}`).expect(302);
  const cookie = (res.headers['set-cookie'] as unknown as string[]).find((c) => c.startsWith('__Host-redirect_state='))!;
  expect(cookie).toMatch(/HttpOnly/);
  expect(cookie).toMatch(/SameSite=Lax/);
  return { location: new URL(res.headers.location as string), cookie: cookie.split(';')[0]! };
}

function landing(res: request.Response): URL {
  expect(res.status).toBe(303);
  return new URL(res.headers.location as string);
}

it('starts with PKCE S256, state and nonce at the discovered authorization endpoint', async () => {
  const { location } = await start();
  expect(location.origin).toBe(bed.provider.issuer);
  const p = location.searchParams;
  expect(p.get('code_challenge_method')).toBe('S256');
  expect(p.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
  expect(p.get('state')).toEqual(expect.any(String));
  expect(p.get('nonce')).toEqual(expect.any(String));
  expect(p.get('redirect_uri')).toBe(`${bed.origin}/api/v1/auth/redirect/callback`);
});

it('refuses a return URL that is not allow-listed (400, no redirect, no state cookie)', async () => {
  const res = await request(bed.origin).get(`/api/v1/auth/redirect/acme?return_to=${encodeURIComponent('https://evil.example/steal')}`).expect(400);
  expect(res.body.error).toBe('return_to_not_allowed');
  expect(res.headers['set-cookie']).toBeUndefined();
  const prefix = await request(bed.origin).get(`/api/v1/auth/redirect/acme?return_to=${encodeURIComponent(`${bed.frontend}/../evil`)}`).expect(400);
  expect(prefix.body.error).toBe('return_to_not_allowed');
});

it('refuses an unknown provider with unknown_provider', async () => {
  const res = await request(bed.origin).get(`/api/v1/auth/redirect/nope?return_to=${encodeURIComponent(bed.frontend)}`).expect(400);
  expect(res.body.error).toBe('unknown_provider');
});

it('a callback whose state differs from the cookie goes back to the started return URL with error=invalid_request', async () => {
  const other = `${bed.origin}/frontend/other`;
  const { cookie } = await start(other);
  const url = landing(await request(bed.origin).get('/api/v1/auth/redirect/callback?code=abc&state=forged').set('cookie', cookie));
  expect(url.origin + url.pathname).toBe(other);
  expect(url.searchParams.get('error')).toBe('invalid_request');
  expect(url.searchParams.get('code')).toBeNull();
});

it('a callback without the state cookie (another browser, a replay after it was cleared) is invalid_request at the first allow-listed URL', async () => {
  const { location } = await start();
  const res = await request(bed.origin).get(`/api/v1/auth/redirect/callback?code=abc&state=${location.searchParams.get('state')}`);
  const url = landing(res);
  expect(url.origin + url.pathname).toBe(bed.frontend);
  expect(url.searchParams.get('error')).toBe('invalid_request');
});

it('a state cookie altered by the browser is refused like a missing one', async () => {
  const { location, cookie } = await start();
  const [name, value] = cookie.split('=');
  const [body, mac] = value!.split('.');
  const forged = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(body!, 'base64url').toString()), returnTo: 'https://evil.example/' })).toString('base64url');
  const url = landing(await request(bed.origin).get(`/api/v1/auth/redirect/callback?code=abc&state=${location.searchParams.get('state')}`).set('cookie', `${name}=${forged}.${mac}`));
  expect(url.origin + url.pathname).toBe(bed.frontend);
  expect(url.searchParams.get('error')).toBe('invalid_request');
});

it("the provider's error (the user cancelled) reaches the frontend as error=access_denied", async () => {
  const { location, cookie } = await start();
  const state = location.searchParams.get('state')!;
  const res = await request(bed.origin).get(`/api/v1/auth/redirect/callback?error=access_denied&error_description=End-User+aborted&state=${state}`).set('cookie', cookie);
  const url = landing(res);
  expect(url.origin + url.pathname).toBe(bed.frontend);
  expect(url.searchParams.get('error')).toBe('access_denied');
  expect(res.headers['set-cookie']?.[0]).toMatch(/^__Host-redirect_state=;/);
});

it('a code the provider never issued is access_denied on the frontend, not a 500', async () => {
  const { location, cookie } = await start();
  const url = landing(await request(bed.origin).get(`/api/v1/auth/redirect/callback?code=made-up&state=${location.searchParams.get('state')}`).set('cookie', cookie));
  expect(url.searchParams.get('error')).toBe('access_denied');
});

it('an unknown handoff code is 400 invalid_grant', async () => {
  const res = await request(bed.origin).post('/api/v1/auth/redirect/exchange').send({ code: 'x'.repeat(43) }).expect(400);
  expect(res.body.error).toBe('invalid_grant');
});

describe('configuration', () => {
  const base = { NODE_ENV: 'production' as const, WEB_SIGN_IN_STATE_TTL_SECONDS: 600 };
  const providers = JSON.stringify([{ name: 'acme', issuer: 'https://id.acme.example', client_id: 'c' }]);
  const error = (env: Record<string, unknown>) => {
    try {
      parseWebSignInSettings({ ...base, ...env });
    } catch (err) {
      return (err as Error).message;
    }
    return 'no error';
  };

  it('is off without providers, and names the missing or wrong variable in one line otherwise', () => {
    expect(parseWebSignInSettings(base).providers).toEqual([]);
    expect(error({ WEB_SIGN_IN_PROVIDERS: providers, WEB_SIGN_IN_CALLBACK_URL: 'https://auth.example/cb' })).toMatch(/^WEB_SIGN_IN_RETURN_URLS: required/);
    expect(error({ WEB_SIGN_IN_PROVIDERS: providers, WEB_SIGN_IN_RETURN_URLS: ['https://play.example/'] })).toMatch(/^WEB_SIGN_IN_CALLBACK_URL: required/);
    expect(error({ WEB_SIGN_IN_PROVIDERS: providers, WEB_SIGN_IN_CALLBACK_URL: 'https://auth.example/cb', WEB_SIGN_IN_RETURN_URLS: ['http://play.example/'] })).toMatch(/^WEB_SIGN_IN_RETURN_URLS: .* must be https/);
    expect(error({ WEB_SIGN_IN_PROVIDERS: '{oops' })).toMatch(/^WEB_SIGN_IN_PROVIDERS: expected JSON/);
    for (const message of [error({ WEB_SIGN_IN_RETURN_URLS: ['x'], WEB_SIGN_IN_PROVIDERS: providers, WEB_SIGN_IN_CALLBACK_URL: 'https://a.example/cb' })]) {
      expect(message).not.toContain('\n');
    }
  });
});

describe("a native app's start (RFC 8252)", () => {
  const challenge = createHash('sha256').update('v'.repeat(43)).digest('base64url');
  const startApp = (query: string) => request(bed.origin).get(`/api/v1/auth/redirect/acme?return_to=${encodeURIComponent(APP_RETURN_URL)}${query}`);

  it("refuses an app's return URL without a PKCE challenge (code_challenge_required, no state cookie)", async () => {
    const res = await startApp('').expect(400);
    expect(res.body.error).toBe('code_challenge_required');
    expect(res.headers['set-cookie']).toBeUndefined();
  });

  it('refuses plain and malformed challenges with invalid_request, accepts S256', async () => {
    expect((await startApp(`&code_challenge=${'v'.repeat(43)}&code_challenge_method=plain`).expect(400)).body.error).toBe('invalid_request');
    expect((await startApp('&code_challenge=short&code_challenge_method=S256').expect(400)).body.error).toBe('invalid_request');
    expect((await startApp(`&code_challenge=${challenge}`).expect(400)).body.error).toBe('invalid_request');
    await startApp(`&code_challenge=${challenge}&code_challenge_method=S256`).expect(302);
  });

  it('a web return URL may carry a challenge too; without one it starts as before', async () => {
    const web = (query: string) => request(bed.origin).get(`/api/v1/auth/redirect/acme?return_to=${encodeURIComponent(bed.frontend)}${query}`);
    await web('').expect(302);
    await web(`&code_challenge=${challenge}&code_challenge_method=S256`).expect(302);
  });
});

describe('WEB_SIGN_IN_RETURN_URLS', () => {
  const base = {
    NODE_ENV: 'production',
    WEB_SIGN_IN_PROVIDERS: JSON.stringify([{ name: 'acme', issuer: 'https://id.example', client_id: 'a', client_secret: 'b' }]),
    WEB_SIGN_IN_CALLBACK_URL: 'https://auth.example/cb',
    WEB_SIGN_IN_STATE_TTL_SECONDS: 600,
  } as const;
  const parse = (urls: string[]) => {
    try {
      return parseWebSignInSettings({ ...base, WEB_SIGN_IN_RETURN_URLS: urls }).returnUrls;
    } catch (err) {
      return (err as Error).message;
    }
  };

  it("takes a native app's own scheme (RFC 8252) beside https", () => {
    expect(parse(['https://play.example/done', 'com.cathouse.app:/auth', 'cathouse://auth'])).toEqual(['https://play.example/done', 'com.cathouse.app:/auth', 'cathouse://auth']);
  });

  it('refuses script, local and web-socket schemes and fragments in one line naming the fix', () => {
    for (const url of ['javascript:alert(1)', 'data:text/html,hi', 'file:///etc/passwd', 'wss://x.example/']) {
      expect(parse([url])).toMatch(/^WEB_SIGN_IN_RETURN_URLS: \w+: URLs cannot be return URLs \(use https, or a native app's own scheme/);
    }
    expect(parse(['cathouse://auth#x'])).toMatch(/^WEB_SIGN_IN_RETURN_URLS: .* must not have a #fragment$/);
  });
});
