/**
 * The device authorization grant (RFC 8628) driven by a strict client, oauth4webapi: the device
 * authorization response, every §3.5 polling error in turn, the token response once approved on the
 * /device page, the session listed among the user's sessions as the CLI, and single redemption.
 */
import type * as OAuth from 'oauth4webapi' with { 'resolution-mode': 'import' };
import request from 'supertest';
import { bearer, registerDeveloper, uniqueEmail } from '../auth/helpers';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { CLI_USER_AGENT, DevicePageAgent, listen, PASSWORD, type Listening } from './support';

let oauth: typeof OAuth;
let db: TestDatabase;
let stack: Listening;
let as: OAuth.AuthorizationServer;
const client: OAuth.Client = { client_id: 'cathouse-cli' };
const options = () => ({ [oauth.allowInsecureRequests]: true, headers: { 'user-agent': CLI_USER_AGENT } });

beforeAll(async () => {
  oauth = await import('oauth4webapi');
  db = await createTestDatabase();
  stack = await listen(db.url, { DEVICE_POLL_INTERVAL_SECONDS: '1', DEVICE_CLIENT_IDS: 'cathouse-cli,other-cli' });
  as = {
    issuer: stack.url,
    device_authorization_endpoint: `${stack.url}/api/v1/auth/device_authorization`,
    token_endpoint: `${stack.url}/api/v1/auth/token`,
  };
});
afterAll(async () => {
  await stack?.close();
  await db?.drop();
});

async function startDeviceLogin(c: OAuth.Client = client) {
  const res = await oauth.deviceAuthorizationRequest(as, c, oauth.None(), { scope: 'cats:publish' }, options());
  return oauth.processDeviceAuthorizationResponse(as, c, res);
}

/** One poll: the token response, or the OAuth error code oauth4webapi read from the 400. */
async function poll(deviceCode: string, c: OAuth.Client = client): Promise<OAuth.TokenEndpointResponse | string> {
  const res = await oauth.deviceCodeGrantRequest(as, c, oauth.None(), deviceCode, options());
  try {
    return await oauth.processDeviceCodeResponse(as, c, res);
  } catch (err) {
    if (err instanceof oauth.ResponseBodyError) return err.error;
    throw err;
  }
}

/** A query on the test's database, rows as objects. */
const q = (text: string, params: unknown[] = []) => stack.t.dataSource.query(text, params);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function developer() {
  const email = uniqueEmail('dev');
  const body = await registerDeveloper(stack.t, email, PASSWORD);
  return { email, id: body.user.id, token: body.access_token };
}

it('answers RFC 8628 §3.2 codes: a typeable user code, the verification URIs of /device, expiry and interval', async () => {
  const codes = await startDeviceLogin();
  expect(codes.user_code).toMatch(/^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$/);
  expect(codes.verification_uri).toBe(`${stack.url}/device`);
  expect(codes.verification_uri_complete).toBe(`${stack.url}/device?user_code=${codes.user_code}`);
  expect(codes.expires_in).toBe(600);
  expect(codes.interval).toBe(1);
  expect(codes.device_code.length).toBeGreaterThanOrEqual(43);
  // Only the hash of the device code is stored.
  const rows = await q(`SELECT encode(device_code_hash, 'hex') AS hash, user_code FROM auth.device_authorizations WHERE user_code = $1`, [codes.user_code.replace('-', '')]);
  expect(rows).toHaveLength(1);
  expect(JSON.stringify(rows)).not.toContain(codes.device_code);
});

it('pending, then approved on the page: one token response, the session listed as the CLI, and the code spent', async () => {
  const dev = await developer();
  const codes = await startDeviceLogin();
  expect(await poll(codes.device_code)).toBe('authorization_pending');

  await new DevicePageAgent(stack.url).decide(codes.user_code, dev.email, 'approve');
  await sleep(1_000);
  const tokens = await poll(codes.device_code);
  if (typeof tokens === 'string') throw new Error(`expected tokens, got ${tokens}`);
  expect(tokens.token_type).toBe('bearer');
  expect(typeof tokens.refresh_token).toBe('string');

  const me = await request(stack.t.app).get('/api/v1/auth/me').set(bearer(tokens.access_token));
  expect(me.status).toBe(200);
  expect(me.body.email).toBe(dev.email);
  const sessions = await request(stack.t.app).get('/api/v1/auth/me/sessions').set(bearer(tokens.access_token));
  const cli = sessions.body.sessions.find((s: { current: boolean }) => s.current);
  expect(cli.device).toBe('Cat House CLI on Linux');
  expect(cli.user_agent).toBe(CLI_USER_AGENT);

  await sleep(1_000);
  expect(await poll(codes.device_code)).toBe('invalid_grant');
  const events = await q(`SELECT type FROM auth.audit_events WHERE user_id = $1 ORDER BY id`, [dev.id]);
  expect(events.map((e: { type: string }) => e.type)).toEqual(expect.arrayContaining(['device_login_approved', 'device_login_redeemed']));
});

it('slow_down for a poll sooner than the interval, and the interval stays 5 s longer for every later poll', async () => {
  const codes = await startDeviceLogin();
  expect(await poll(codes.device_code)).toBe('authorization_pending');
  expect(await poll(codes.device_code)).toBe('slow_down');
  const interval = async () =>
    (await q(`SELECT interval_seconds FROM auth.device_authorizations WHERE user_code = $1`, [codes.user_code.replace('-', '')]))[0].interval_seconds;
  expect(await interval()).toBe(6);
  // Waiting the original interval is now too soon as well.
  await sleep(1_100);
  expect(await poll(codes.device_code)).toBe('slow_down');
  expect(await interval()).toBe(11);
});

it('access_denied once the person denies, and the denial is final', async () => {
  const dev = await developer();
  const codes = await startDeviceLogin();
  await new DevicePageAgent(stack.url).decide(codes.user_code, dev.email, 'deny');
  expect(await poll(codes.device_code)).toBe('access_denied');
  await sleep(1_000);
  expect(await poll(codes.device_code)).toBe('access_denied');
});

it('an approval dies with the sessions ended after its sign-in: the poll answers access_denied, for good', async () => {
  const dev = await developer();
  const codes = await startDeviceLogin();
  await new DevicePageAgent(stack.url).decide(codes.user_code, dev.email, 'approve');
  // A later second than the page's sign-in (a sign-out in the same second counts as before it).
  await sleep(1_100);
  await request(stack.t.app).post('/api/v1/auth/logout').set(bearer(dev.token)).send({ scope: 'global' }).expect(204);
  await sleep(1_000);
  expect(await poll(codes.device_code)).toBe('access_denied');
  await sleep(1_000);
  expect(await poll(codes.device_code)).toBe('access_denied');
  const [row] = await q(`SELECT status, session_id FROM auth.device_authorizations WHERE user_code = $1`, [codes.user_code.replace('-', '')]);
  expect(row).toEqual({ status: 'denied', session_id: null });
});

it('a sign-in on the /device page ends with the sessions: approving after them asks to sign in again, and then works', async () => {
  const dev = await developer();
  const codes = await startDeviceLogin();
  const agent = new DevicePageAgent(stack.url);
  await agent.get(`/device?user_code=${encodeURIComponent(codes.user_code)}`);
  await agent.submit('/device', { user_code: codes.user_code });
  await agent.submit('/device/sign-in/password', { user_code: codes.user_code, email: dev.email, password: PASSWORD });
  expect(agent.page).toContain('id="decision-form"');
  await sleep(1_100);
  await request(stack.t.app).post('/api/v1/auth/logout').set(bearer(dev.token)).send({ scope: 'global' }).expect(204);

  await agent.submit('/device/decision', { user_code: codes.user_code, decision: 'approve' });
  expect(agent.status).toBe(401);
  expect(agent.errorCode()).toBe('reauthentication_required');
  expect(agent.page).toContain('id="password-form"');
  expect(await poll(codes.device_code)).toBe('authorization_pending');

  // Signed in again after the sign-out: the approval stands and the CLI gets its session.
  await agent.submit('/device/sign-in/password', { user_code: codes.user_code, email: dev.email, password: PASSWORD });
  await agent.submit('/device/decision', { user_code: codes.user_code, decision: 'approve' });
  expect(agent.page).toContain('data-decision="approve"');
  await sleep(1_000);
  const tokens = await poll(codes.device_code);
  if (typeof tokens === 'string') throw new Error(`expected tokens, got ${tokens}`);
  expect((await request(stack.t.app).get('/api/v1/auth/me').set(bearer(tokens.access_token))).status).toBe(200);
});

it('expired_token once the codes have expired, even if they were approved', async () => {
  const dev = await developer();
  const codes = await startDeviceLogin();
  await new DevicePageAgent(stack.url).decide(codes.user_code, dev.email, 'approve');
  await q(`UPDATE auth.device_authorizations SET expires_at = now() - interval '1 second' WHERE user_code = $1`, [codes.user_code.replace('-', '')]);
  expect(await poll(codes.device_code)).toBe('expired_token');
});

it('invalid_grant for an unknown device code and for a code polled by another client; invalid_client for an unknown client', async () => {
  const codes = await startDeviceLogin();
  expect(await poll('not-a-device-code')).toBe('invalid_grant');
  expect(await poll(codes.device_code, { client_id: 'other-cli' })).toBe('invalid_grant');
  const unknown = await request(stack.t.app)
    .post('/api/v1/auth/device_authorization')
    .type('form')
    .send({ client_id: 'someone-else' });
  expect(unknown.status).toBe(401);
  expect(unknown.body.error).toBe('invalid_client');
  const poll401 = await request(stack.t.app)
    .post('/api/v1/auth/token')
    .type('form')
    .send({ grant_type: 'urn:ietf:params:oauth:grant-type:device_code', device_code: codes.device_code, client_id: 'someone-else' });
  expect(poll401.status).toBe(401);
  expect(poll401.body.error).toBe('invalid_client');
  expect(poll401.headers['cache-control']).toBe('no-store');
});

it('twenty concurrent polls of an approved code redeem it exactly once', async () => {
  const dev = await developer();
  const codes = await startDeviceLogin();
  await new DevicePageAgent(stack.url).decide(codes.user_code, dev.email, 'approve');
  const results = await Promise.all(Array.from({ length: 20 }, () => poll(codes.device_code)));
  const granted = results.filter((r) => typeof r !== 'string');
  expect(granted).toHaveLength(1);
  expect(new Set(results.filter((r) => typeof r === 'string'))).toEqual(new Set(['invalid_grant']));
  const rows = await q(`SELECT count(*)::int AS n FROM auth.sessions WHERE user_id = $1 AND user_agent = $2`, [dev.id, CLI_USER_AGENT]);
  expect(rows[0].n).toBe(1);
});

it("answers bad device authorization requests in OAuth's error format (RFC 6749 §5.2), never problem+json", async () => {
  const endpoint = '/api/v1/auth/device_authorization';
  const answers = [
    await request(stack.t.app).post(endpoint).type('form').send({}),
    await request(stack.t.app).post(endpoint).type('form').send({ client_id: 'cathouse-cli', extra: 'x' }),
    await request(stack.t.app).post(endpoint).set('content-type', 'application/json').send('{"client_id":'),
    await request(stack.t.app).post(endpoint).set('content-type', 'text/plain').send('client_id=cathouse-cli'),
    await request(stack.t.app).get(endpoint),
  ];
  expect(answers.map((r) => [r.status, r.headers['content-type'], r.body.error, r.headers['cache-control']])).toEqual([
    [400, 'application/json; charset=utf-8', 'invalid_request', 'no-store'],
    [400, 'application/json; charset=utf-8', 'invalid_request', 'no-store'],
    [400, 'application/json; charset=utf-8', 'invalid_request', 'no-store'],
    [415, 'application/json; charset=utf-8', 'invalid_request', 'no-store'],
    [405, 'application/json; charset=utf-8', 'invalid_request', 'no-store'],
  ]);
  for (const r of answers) expect(typeof r.body.error_description).toBe('string');
});
