/**
 * The /device page and the login page's steps (issue 26's MFA challenge is one): an account that
 * needs a step is asked it after its method, is not signed in (nor recorded as signed in) until the
 * step is done, and never reaches Allow on one factor; an account that needs none goes on as before.
 * The real second factor (TOTP, recovery codes) is driven in device-page-second-factor.test.ts.
 *
 * The page's router is mounted on an app of its own, with a step that asks for a second factor
 * for one account, over the real device authorizations of the running service. The sign-in method
 * is a stand-in that finds the account by email: the step handling is what is under test here
 * (the real password method is driven in device-page.test.ts and in Chromium).
 */
import express from 'express';
import type { Server } from 'node:http';
import request from 'supertest';
import { deviceAuthorizations } from '../../src/auth/developer-credentials/device-authorizations';
import { devicePageKeys } from '../../src/auth/developer-credentials/page-state';
import type { SignInMethod, SignInStep } from '../../src/auth/oidc/sign-in/sign-in-method';
import { AppError } from '../../src/errors/app-error';
import { devicePageRoutes } from '../../src/http/routes/device-pages';
import { registerDeveloper, uniqueEmail } from '../auth/helpers';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { findFreePort } from '../support/ports';
import { DevicePageAgent, listen, PASSWORD, type Listening } from './support';

let db: TestDatabase;
let stack: Listening;
let page: Server;
let pageUrl: string;
const needsSecondFactor = new Set<string>();
/** The sign-ins the page recorded as finished (login_succeeded in the service). */
const recorded: { userId: string; methods: string[] }[] = [];

beforeAll(async () => {
  db = await createTestDatabase();
  stack = await listen(db.url);
  const { dataSource, config, authKeys } = stack.t;
  const byEmail: SignInMethod = {
    id: 'password',
    label: 'Sign in',
    fields: [
      { name: 'email', label: 'Email', type: 'email', autocomplete: 'username' },
      { name: 'password', label: 'Password', type: 'password', autocomplete: 'current-password' },
    ],
    async signIn(form) {
      const [user] = await dataSource.query(`SELECT id FROM auth.users WHERE email = $1`, [form.email]);
      return { userId: user.id, methods: ['pwd'] };
    },
  };
  // A stand-in step: its challenge names the account, and the code "right" completes it with otp added.
  const mfa: SignInStep = {
    id: 'mfa',
    title: 'Second factor',
    explanation: 'Enter the code of your authenticator app.',
    label: 'Continue',
    fields: [{ name: 'code', label: 'Code', type: 'text', autocomplete: 'one-time-code' }],
    required: async (result) => (needsSecondFactor.has(result.userId) ? { challenge: `challenge-of:${result.userId}` } : undefined),
    complete: async (challenge, form) => {
      if (form.code !== 'right') throw new AppError('invalid_credentials', 'Wrong code.');
      return { userId: challenge.slice('challenge-of:'.length), methods: ['pwd', 'otp'] };
    },
  };
  const devices = deviceAuthorizations(dataSource, { ...config.developerCredentials.device, windowSeconds: config.auth.loginThrottleWindowSeconds });
  const app = express().use('/device', devicePageRoutes({ devices, dataSource, keys: devicePageKeys(authKeys), methods: [byEmail], steps: [mfa], signedIn: async (result) => void recorded.push(result) }));
  const port = await findFreePort();
  pageUrl = `http://127.0.0.1:${port}`;
  page = app.listen(port, '127.0.0.1');
  await new Promise((resolve) => page.once('listening', resolve));
});
afterAll(async () => {
  page?.closeAllConnections();
  await new Promise((resolve) => page?.close(resolve));
  await stack?.close();
  await db?.drop();
});

async function startLogin(): Promise<string> {
  const res = await request(stack.t.app).post('/api/v1/auth/device_authorization').type('form').send({ client_id: 'cathouse-cli' });
  return res.body.user_code;
}

async function developer(): Promise<{ email: string; id: string }> {
  const email = uniqueEmail('dev');
  const body = await registerDeveloper(stack.t, email, PASSWORD);
  return { email, id: body.user.id };
}

it('asks the step of an account that needs one; only its answer signs in, with both methods', async () => {
  const dev = await developer();
  needsSecondFactor.add(dev.id);
  const userCode = await startLogin();
  const agent = new DevicePageAgent(pageUrl);
  await agent.get('/device');
  await agent.submit('/device', { user_code: userCode });
  await agent.submit('/device/sign-in/password', { user_code: userCode, email: dev.email, password: PASSWORD });
  expect(agent.status).toBe(200);
  expect(agent.page).toContain('id="mfa-form"');
  expect(agent.page).not.toContain('id="decision-form"');
  // A password without its second factor is no finished sign-in: nothing recorded as one.
  expect(recorded.map((r) => r.userId)).not.toContain(dev.id);

  // Typing the code again shows the sign-in, not Allow: the password alone signed nobody in.
  await agent.get('/device');
  await agent.submit('/device', { user_code: userCode });
  expect(agent.page).toContain('Sign in to connect a device');
  expect(agent.page).not.toContain('id="decision-form"');
  await agent.submit('/device/sign-in/password', { user_code: userCode, email: dev.email, password: PASSWORD });

  await agent.submit('/device/step/mfa', { user_code: userCode, code: 'wrong' });
  expect([agent.status, agent.errorCode()]).toEqual([401, 'invalid_credentials']);
  expect(agent.page).toContain('id="mfa-form"');
  await agent.submit('/device/step/mfa', { user_code: userCode, code: 'right' });
  expect(agent.page).toContain('id="decision-form"');
  expect(recorded.filter((r) => r.userId === dev.id)).toEqual([{ userId: dev.id, methods: ['pwd', 'otp'] }]);
  await agent.submit('/device/decision', { user_code: userCode, decision: 'approve' });
  const [row] = await stack.t.dataSource.query(`SELECT status, user_id, amr FROM auth.device_authorizations WHERE user_code = $1`, [userCode.replace('-', '')]);
  expect(row).toEqual({ status: 'approved', user_id: dev.id, amr: ['pwd', 'otp', 'mfa'] });
});

it('answers 404 for a step the page does not have', async () => {
  const userCode = await startLogin();
  const agent = new DevicePageAgent(pageUrl);
  await agent.get('/device');
  await agent.send('/device/step/sms', { csrf: agent.csrfOf('/device'), user_code: userCode, code: '123456' });
  expect([agent.status, agent.errorCode()]).toEqual([404, 'not_found']);
});

it('lets an account that needs no second factor allow the device', async () => {
  const dev = await developer();
  const userCode = await startLogin();
  const agent = new DevicePageAgent(pageUrl);
  await agent.decide(userCode, dev.email, 'approve');
  const [row] = await stack.t.dataSource.query(`SELECT status, user_id, amr FROM auth.device_authorizations WHERE user_code = $1`, [userCode.replace('-', '')]);
  expect(row).toEqual({ status: 'approved', user_id: dev.id, amr: ['pwd'] });
  expect(recorded.filter((r) => r.userId === dev.id)).toEqual([{ userId: dev.id, methods: ['pwd'] }]);
});
