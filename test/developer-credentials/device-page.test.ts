/**
 * The /device verification page without a browser: lenient user codes, wrong codes throttled per
 * address (before any lookup once the limit is reached), CSRF tokens bound to the browser's cookie,
 * the sign-in on the page (its throttles and audit), another account, and a code decided only once.
 */
import request from 'supertest';
import { registerDeveloper, uniqueEmail } from '../auth/helpers';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { DevicePageAgent, listen, PASSWORD, type Listening } from './support';

let db: TestDatabase;
let stack: Listening;

beforeAll(async () => {
  db = await createTestDatabase();
  stack = await listen(db.url, { DEVICE_USER_CODE_MAX_FAILURES_PER_IP: '4', LOGIN_THROTTLE_WINDOW_SECONDS: '60' });
});
afterAll(async () => {
  await stack?.close();
  await db?.drop();
});

async function startLogin(): Promise<{ user_code: string; device_code: string }> {
  const res = await request(stack.t.app).post('/api/v1/auth/device_authorization').type('form').set('user-agent', 'cathouse-cli/0.1.0 (Linux x64)').send({ client_id: 'cathouse-cli' });
  expect(res.status).toBe(200);
  return res.body;
}

async function developer() {
  const email = uniqueEmail('dev');
  const body = await registerDeveloper(stack.t, email, PASSWORD);
  return { email, id: body.user.id };
}

const clearThrottle = () => stack.t.dataSource.query(`DELETE FROM auth.rate_limits WHERE key LIKE 'device_user_code%'`);

it('takes the code in lower case, with spaces or without its dash', async () => {
  const { user_code } = await startLogin();
  const agent = new DevicePageAgent(stack.url);
  await agent.get('/device');
  await agent.submit('/device', { user_code: ` ${user_code.replace('-', ' ').toLowerCase()} ` });
  expect(agent.status).toBe(200);
  expect(agent.page).toContain('Sign in to connect a device');
  expect(agent.page).toContain(user_code);
});

it('counts wrong and expired codes per address, and past the limit refuses even a right code', async () => {
  await clearThrottle();
  const right = await startLogin();
  const expired = await startLogin();
  await stack.t.dataSource.query(`UPDATE auth.device_authorizations SET expires_at = now() - interval '1 second' WHERE user_code = $1`, [expired.user_code.replace('-', '')]);
  const agent = new DevicePageAgent(stack.url);
  await agent.get('/device');
  const tries: [string, string | undefined][] = [];
  for (const code of ['BBBB-BBBB', 'not a code', expired.user_code, 'CCCC-CCCC', right.user_code]) {
    await agent.submit('/device', { user_code: code });
    tries.push([code, agent.errorCode()]);
  }
  expect(tries).toEqual([
    ['BBBB-BBBB', 'invalid_user_code'],
    ['not a code', 'invalid_user_code'],
    [expired.user_code, 'expired_token'],
    ['CCCC-CCCC', 'invalid_user_code'],
    [right.user_code, 'rate_limited'],
  ]);
  expect(agent.status).toBe(429);
  await clearThrottle();
});

it('refuses a form without the CSRF token of this browser (403 csrf_failed), and another browser\'s token', async () => {
  const { user_code } = await startLogin();
  const mine = new DevicePageAgent(stack.url);
  await mine.get('/device');
  const theirs = new DevicePageAgent(stack.url);
  await theirs.get('/device');
  // A cross-site form post: no cookie of ours, a token from another browser.
  const res = await fetch(`${stack.url}/device`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ user_code, csrf: theirs.csrfOf('/device') }) });
  expect(res.status).toBe(403);
  expect(await res.text()).toContain('data-code="csrf_failed"');
  await mine.send('/device', { user_code, csrf: theirs.csrfOf('/device') });
  expect([mine.status, mine.errorCode()]).toEqual([403, 'csrf_failed']);
});

it('a wrong password shows invalid_credentials on the page; a right one records login_succeeded via device', async () => {
  const dev = await developer();
  const { user_code } = await startLogin();
  const agent = new DevicePageAgent(stack.url);
  await agent.get('/device');
  await agent.submit('/device', { user_code });
  await agent.submit('/device/sign-in/password', { user_code, email: dev.email, password: 'wrong wrong wrong' });
  expect([agent.status, agent.errorCode()]).toEqual([401, 'invalid_credentials']);
  expect(agent.page).toContain(`value="${dev.email}"`);
  await agent.submit('/device/sign-in/password', { user_code, email: dev.email, password: PASSWORD });
  expect(agent.page).toContain('Allow this device?');
  const events = await stack.t.dataSource.query(`SELECT type, detail FROM auth.audit_events WHERE user_id = $1 AND type LIKE 'login_%' ORDER BY id`, [dev.id]);
  expect(events.map((e: { type: string; detail: { via?: string; reason?: string } }) => `${e.type}:${e.detail.via ?? e.detail.reason}`)).toEqual(['login_failed:wrong_password', 'login_succeeded:device']);
});

it('"not you?" forgets the page\'s sign-in; a second decision on a decided code is refused', async () => {
  const first = await developer();
  const second = await developer();
  const { user_code } = await startLogin();
  const agent = new DevicePageAgent(stack.url);
  await agent.decide(user_code, first.email, 'approve');

  const next = await startLogin();
  await agent.get('/device');
  await agent.submit('/device', { user_code: next.user_code });
  // Still signed in on this page: straight to the decision, as the first account.
  expect(agent.page).toContain(first.email);
  await agent.submit('/device/sign-out', { user_code: next.user_code });
  expect(agent.page).toContain('Sign in to connect a device');
  await agent.submit('/device/sign-in/password', { user_code: next.user_code, email: second.email, password: PASSWORD });
  expect(agent.page).toContain(second.email);
  const decisionToken = agent.csrfOf('/device/decision');
  await agent.submit('/device/decision', { user_code: next.user_code, decision: 'deny' });
  expect(agent.page).toContain('data-decision="deny"');
  await agent.send('/device/decision', { user_code: next.user_code, decision: 'approve', csrf: decisionToken });
  expect([agent.status, agent.errorCode()]).toEqual([400, 'user_code_used']);
  const [row] = await stack.t.dataSource.query(`SELECT status, user_id FROM auth.device_authorizations WHERE user_code = $1`, [next.user_code.replace('-', '')]);
  expect(row).toEqual({ status: 'denied', user_id: second.id });
});
