/**
 * `cathouse login` for a developer with a second factor (issues 26 and 28): the /device page asks
 * the authenticator app's code (or a recovery code) after the password, as the OpenID provider's
 * login page does, and only then shows Allow. The CLI's session says how it was proven (amr pwd,
 * otp, mfa; auth_time of the sign-in on the page). Real service, real database, forms posted with
 * cookies as a browser would; TOTP codes computed from the secret as an authenticator app does.
 */
import { createHash } from 'node:crypto';
import request from 'supertest';
import { decodePageState, DEVICE_COOKIE, devicePageKeys, encodePageState, type DevicePageState } from '../../src/auth/developer-credentials/page-state';
import { formToken } from '../../src/auth/oidc/form-tokens';
import { bearer, registerDeveloper, uniqueEmail } from '../auth/helpers';
import { totpCode } from '../factors/support';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { CLI_USER_AGENT, DevicePageAgent, listen, PASSWORD, type Listening } from './support';

let db: TestDatabase;
let stack: Listening;
// The service's authenticator-app clock, at the start of a 30-second step; tests move it by whole steps.
const clock = { now: Date.UTC(2026, 0, 1) };
const nextStep = () => void (clock.now += 30_000);

beforeAll(async () => {
  db = await createTestDatabase();
  stack = await listen(db.url, { DEVICE_POLL_INTERVAL_SECONDS: '1' }, { factorClock: () => clock.now });
});
afterAll(async () => {
  await stack?.close();
  await db?.drop();
});

const q = (text: string, params: unknown[] = []) => stack.t.dataSource.query(text, params);
const claimsOf = (jwt: string) => JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;
const keys = () => devicePageKeys(stack.t.authKeys);

/** A developer who enrolled an authenticator app (and so holds ten recovery codes). */
async function developerWithTotp() {
  const email = uniqueEmail('dev2f');
  const body = await registerDeveloper(stack.t, email, PASSWORD);
  const begun = await request(stack.t.app).post('/api/v1/auth/me/totp').set(bearer(body.access_token));
  expect(begun.status).toBe(201);
  const secret = begun.body.secret as string;
  const confirmed = await request(stack.t.app).post('/api/v1/auth/me/totp/confirm').set(bearer(body.access_token)).send({ code: totpCode(secret, clock.now) });
  expect(confirmed.status).toBe(200);
  nextStep();
  return { email, id: body.user.id as string, secret, recoveryCodes: confirmed.body.recovery_codes as string[] };
}

async function startLogin(): Promise<{ user_code: string; device_code: string }> {
  const res = await request(stack.t.app).post('/api/v1/auth/device_authorization').type('form').set('user-agent', CLI_USER_AGENT).send({ client_id: 'cathouse-cli' });
  expect(res.status).toBe(200);
  return res.body;
}

/** The CLI's poll at /token (RFC 8628 §3.4). */
const poll = (deviceCode: string) =>
  request(stack.t.app).post('/api/v1/auth/token').type('form').set('user-agent', CLI_USER_AGENT).send({ grant_type: 'urn:ietf:params:oauth:grant-type:device_code', device_code: deviceCode, client_id: 'cathouse-cli' });

/** A browser on /device that has typed the code and the right password: it is on the second factor. */
async function atSecondFactor(userCode: string, email: string): Promise<DevicePageAgent> {
  const agent = new DevicePageAgent(stack.url);
  await agent.get(`/device?user_code=${encodeURIComponent(userCode)}`);
  await agent.submit('/device', { user_code: userCode });
  await agent.submit('/device/sign-in/password', { user_code: userCode, email, password: PASSWORD });
  expect(agent.status).toBe(200);
  expect(agent.page).toContain('id="mfa-form"');
  expect(agent.page).not.toContain('id="decision-form"');
  return agent;
}

/** The sign-ins the /device page recorded as finished (login_succeeded via device). */
const loginSucceeded = (userId: string) => q(`SELECT detail FROM auth.audit_events WHERE user_id = $1 AND type = 'login_succeeded' AND detail->>'via' = 'device' ORDER BY id`, [userId]);
const deviceRow = (userCode: string) => q(`SELECT status, user_id FROM auth.device_authorizations WHERE user_code = $1`, [userCode.replace('-', '')]).then((r) => r[0]);
const stateOf = (agent: DevicePageAgent): DevicePageState => decodePageState(keys(), decodeURIComponent(agent.cookie.slice(DEVICE_COOKIE.length + 1)))!;

it('asks the authenticator app after the password, then Allow; the CLI gets a session proven by both factors', async () => {
  const dev = await developerWithTotp();
  const codes = await startLogin();
  const agent = await atSecondFactor(codes.user_code, dev.email);
  // The password alone is no sign-in: nothing recorded as one, and the device still waits.
  expect(await loginSucceeded(dev.id)).toEqual([]);
  expect(await deviceRow(codes.user_code)).toEqual({ status: 'pending', user_id: null });
  const signedInAt = Math.floor(Date.now() / 1000);

  await agent.submit('/device/step/mfa', { user_code: codes.user_code, code: totpCode(dev.secret, clock.now) });
  expect(agent.status).toBe(200);
  expect(agent.page).toContain('id="decision-form"');
  expect(agent.page).toContain(dev.email);
  expect(await loginSucceeded(dev.id)).toEqual([{ detail: { via: 'device', amr: ['pwd', 'otp', 'mfa'] } }]);

  await agent.submit('/device/decision', { user_code: codes.user_code, decision: 'approve' });
  expect(agent.page).toContain('data-decision="approve"');
  const tokens = await poll(codes.device_code);
  expect(tokens.status).toBe(200);
  const claims = claimsOf(tokens.body.access_token);
  expect(claims.sub).toBe(dev.id);
  expect(claims.amr).toEqual(['pwd', 'otp', 'mfa']);
  // auth_time is the sign-in on the page, not the moment the CLI polled.
  expect(Math.abs(Number(claims.auth_time) - signedInAt)).toBeLessThanOrEqual(2);
  const [session] = await q(`SELECT amr, extract(epoch FROM auth_time)::int AS auth_time FROM auth.sessions WHERE id = $1`, [claims.sid]);
  expect(session).toEqual({ amr: ['pwd', 'otp', 'mfa'], auth_time: Number(claims.auth_time) });

  // The session's second factor counts for step-up: the CLI may create a personal access token at once.
  const pat = await request(stack.t.app)
    .post('/api/v1/auth/me/tokens')
    .set(bearer(tokens.body.access_token))
    .send({ name: 'CI', scopes: ['cats:publish'], expires_at: new Date(Date.now() + 86_400_000).toISOString() });
  expect(pat.status).toBe(201);
});

it('refuses a wrong code (401 invalid_credentials), counted against the MFA token and the account; the right code then passes', async () => {
  const dev = await developerWithTotp();
  const codes = await startLogin();
  const agent = await atSecondFactor(codes.user_code, dev.email);
  await agent.submit('/device/step/mfa', { user_code: codes.user_code, code: totpCode(dev.secret, clock.now + 20 * 30_000) });
  expect([agent.status, agent.errorCode()]).toEqual([401, 'invalid_credentials']);
  expect(agent.page).toContain('id="mfa-form"');
  expect(agent.page).not.toContain('id="decision-form"');

  const [challenge] = await q(`SELECT failed_attempts FROM auth.mfa_challenges WHERE user_id = $1 ORDER BY created_at DESC LIMIT 1`, [dev.id]);
  expect(challenge.failed_attempts).toBe(1);
  const accountKey = createHash('sha256').update(`factor:${dev.id}`).digest('base64url');
  const [throttled] = await q(`SELECT points FROM auth.rate_limits WHERE key = $1`, [`login_account:${accountKey}`]);
  expect(throttled.points).toBe(1);
  const failed = await q(`SELECT detail FROM auth.audit_events WHERE user_id = $1 AND type = 'second_factor_failed'`, [dev.id]);
  expect(failed).toEqual([{ detail: expect.objectContaining({ factor: 'totp', context: 'device' }) }]);
  expect(await loginSucceeded(dev.id)).toEqual([]);

  await agent.submit('/device/step/mfa', { user_code: codes.user_code, code: totpCode(dev.secret, clock.now) });
  expect(agent.page).toContain('id="decision-form"');
});

it('five wrong codes end the MFA token: back to the sign-in (invalid_mfa_token), and even the right code then needs the password again', async () => {
  const dev = await developerWithTotp();
  const codes = await startLogin();
  const agent = await atSecondFactor(codes.user_code, dev.email);
  for (let i = 0; i < 5; i++) {
    await agent.submit('/device/step/mfa', { user_code: codes.user_code, code: totpCode(dev.secret, clock.now + (20 + i) * 30_000) });
    expect(agent.errorCode()).toBe('invalid_credentials');
  }
  const csrf = agent.csrfOf('/device/step/mfa');
  await agent.send('/device/step/mfa', { csrf, user_code: codes.user_code, code: totpCode(dev.secret, clock.now) });
  expect([agent.status, agent.errorCode()]).toEqual([400, 'invalid_mfa_token']);
  expect(agent.page).toContain('id="password-form"');
  expect(stateOf(agent).p).toBeUndefined();
});

it('takes a recovery code instead, once', async () => {
  const dev = await developerWithTotp();
  const first = await startLogin();
  const agent = await atSecondFactor(first.user_code, dev.email);
  await agent.submit('/device/step/mfa', { user_code: first.user_code, code: dev.recoveryCodes[0]! });
  expect(agent.page).toContain('id="decision-form"');
  await agent.submit('/device/decision', { user_code: first.user_code, decision: 'approve' });
  const tokens = await poll(first.device_code);
  expect(claimsOf(tokens.body.access_token).amr).toEqual(['pwd', 'otp', 'mfa']);

  const second = await startLogin();
  const again = await atSecondFactor(second.user_code, dev.email);
  await again.submit('/device/step/mfa', { user_code: second.user_code, code: dev.recoveryCodes[0]! });
  expect([again.status, again.errorCode()]).toEqual([401, 'invalid_credentials']);
  expect(again.page).not.toContain('id="decision-form"');
  expect(await deviceRow(second.user_code)).toEqual({ status: 'pending', user_id: null });
});

it("refuses the step form of another browser: its CSRF token (403), its cookie forged, its step without a password in this browser", async () => {
  const dev = await developerWithTotp();
  const codes = await startLogin();
  const victim = await atSecondFactor(codes.user_code, dev.email);

  // Another browser posts the victim's step form, token and all, with the right code.
  const other = new DevicePageAgent(stack.url);
  await other.get('/device');
  await other.send('/device/step/mfa', { csrf: victim.csrfOf('/device/step/mfa'), user_code: codes.user_code, code: totpCode(dev.secret, clock.now) });
  expect([other.status, other.errorCode()]).toEqual([403, 'csrf_failed']);

  // With a CSRF token of its own (as if it had one) but no password typed in it: sign in again.
  const ownState = stateOf(other);
  await other.send('/device/step/mfa', { csrf: formToken(keys(), ownState.n, 'step:mfa'), user_code: codes.user_code, code: totpCode(dev.secret, clock.now) });
  expect([other.status, other.errorCode()]).toEqual([400, 'invalid_mfa_token']);
  expect(other.page).toContain('id="password-form"');

  // The victim's cookie with its payload changed (signed in as the account, step skipped): not signed by us, ignored.
  const forged = new DevicePageAgent(stack.url);
  const payload = Buffer.from(JSON.stringify({ ...stateOf(victim), u: dev.id, t: Math.floor(Date.now() / 1000), m: ['pwd', 'otp'], p: undefined })).toString('base64url');
  forged.cookie = `${DEVICE_COOKIE}=${payload}.${victim.cookie.split('.').pop()}`;
  forged.page = victim.page;
  await forged.submit('/device/step/mfa', { user_code: codes.user_code, code: totpCode(dev.secret, clock.now) });
  expect([forged.status, forged.errorCode()]).toEqual([403, 'csrf_failed']);

  // None of it signed anyone in; the victim's own browser still finishes.
  expect(await loginSucceeded(dev.id)).toEqual([]);
  expect(await deviceRow(codes.user_code)).toEqual({ status: 'pending', user_id: null });
  await victim.submit('/device/step/mfa', { user_code: codes.user_code, code: totpCode(dev.secret, clock.now) });
  expect(victim.page).toContain('id="decision-form"');
});

it('the password alone cannot decide, even with a valid decision token; a step left waiting too long is refused', async () => {
  const dev = await developerWithTotp();
  const codes = await startLogin();
  const agent = await atSecondFactor(codes.user_code, dev.email);
  const state = stateOf(agent);
  expect(state.u).toBeUndefined();
  await agent.send('/device/decision', { csrf: formToken(keys(), state.n, 'decision'), user_code: codes.user_code, decision: 'approve' });
  expect([agent.status, agent.errorCode()]).toEqual([401, 'reauthentication_required']);
  expect(await deviceRow(codes.user_code)).toEqual({ status: 'pending', user_id: null });

  // The same waiting step, signed by us, but begun six minutes ago: past DEVICE_STEP_MAX_AGE_SECONDS.
  const stale = new DevicePageAgent(stack.url);
  const fresh = stateOf(await atSecondFactor(codes.user_code, dev.email));
  stale.cookie = `${DEVICE_COOKIE}=${encodePageState(keys(), { ...fresh, p: { ...fresh.p!, t: fresh.p!.t - 360 } })}`;
  await stale.send('/device/step/mfa', { csrf: formToken(keys(), fresh.n, 'step:mfa'), user_code: codes.user_code, code: totpCode(dev.secret, clock.now) });
  expect([stale.status, stale.errorCode()]).toEqual([400, 'invalid_mfa_token']);
  expect(await loginSucceeded(dev.id)).toEqual([]);
});

it('an account without a second factor goes from the password to Allow as before, and its CLI session says pwd', async () => {
  const email = uniqueEmail('dev1f');
  const body = await registerDeveloper(stack.t, email, PASSWORD);
  const codes = await startLogin();
  const agent = new DevicePageAgent(stack.url);
  await agent.get('/device');
  await agent.submit('/device', { user_code: codes.user_code });
  await agent.submit('/device/sign-in/password', { user_code: codes.user_code, email, password: PASSWORD });
  expect(agent.page).toContain('id="decision-form"');
  expect(agent.page).not.toContain('id="mfa-form"');
  expect(await loginSucceeded(body.user.id)).toEqual([{ detail: { via: 'device' } }]);
  await agent.submit('/device/decision', { user_code: codes.user_code, decision: 'approve' });
  const tokens = await poll(codes.device_code);
  expect(claimsOf(tokens.body.access_token).amr).toEqual(['pwd']);
});
