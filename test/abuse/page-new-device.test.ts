import type { Server } from 'node:http';
import type * as OpenIdClient from 'openid-client' with { 'resolution-mode': 'import' };
import request from 'supertest';
import { registerDeveloper, uniqueEmail } from '../auth/helpers';
import { createCat, install } from '../auth/installations';
import { DevicePageAgent } from '../developer-credentials/support';
import { PASSWORD, PlayerAgent, registerClient, type OidcStack } from '../oidc/support';
import { startTestApp } from '../support/app';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { findFreePort } from '../support/ports';
import { startSmtpServer, type TestSmtpServer } from '../support/smtp';

/**
 * Issue 30's new-device notice for sign-ins finished on the service's own pages (the OpenID
 * provider's login page, /device), which start no session of ours: the same mail and audit event
 * as POST /login, once per sign-in, and a browser that signed in on a page is known afterwards.
 * Registration comes from Firefox on 203.0.113.5; the pages are signed in from this test's
 * fetch (another family, 127.0.0.1).
 */
const FIREFOX_LINUX = 'Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0';
const REDIRECT = 'https://cat.example/callback';

let db: TestDatabase;
let smtp: TestSmtpServer;
let stack: OidcStack;
let oidc: typeof OpenIdClient;

beforeAll(async () => {
  oidc = await import('openid-client');
  db = await createTestDatabase();
  smtp = await startSmtpServer();
  const port = await findFreePort();
  const url = `http://127.0.0.1:${port}`;
  // TRUST_PROXY=loopback: registration picks its address with X-Forwarded-For; the pages' requests come from 127.0.0.1.
  const t = await startTestApp(
    db.url,
    { OIDC_ISSUER: `${url}/oidc`, SMTP_URL: smtp.url, APP_URL: 'https://app.cathouse.example', MAIL_POLL_INTERVAL_MS: '100', NEW_DEVICE_NOTICE: 'on', TRUST_PROXY: 'loopback' },
    { mail: true },
  );
  const server: Server = t.app.listen(port, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  stack = {
    t,
    url,
    issuer: `${url}/oidc`,
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await t.close();
    },
  };
});
afterAll(async () => {
  await stack?.close();
  await smtp?.stop();
  await db?.drop();
});

async function playerFromFirefox() {
  const email = uniqueEmail('page-device');
  const reg = await request(stack.t.app).post('/api/v1/auth/register').set('User-Agent', FIREFOX_LINUX).set('X-Forwarded-For', '203.0.113.5').send({ email, password: PASSWORD });
  expect(reg.status).toBe(201);
  return { email, id: reg.body.user.id as string };
}

const notices = async (userId: string) => {
  const rows = (await stack.t.dataSource.query(
    `SELECT (SELECT count(*)::int FROM auth.mail_outbox WHERE user_id = $1 AND template = 'new_device_signin') AS mails,
            (SELECT count(*)::int FROM auth.audit_events WHERE user_id = $1 AND type = 'new_device_notified') AS events`,
    [userId],
  )) as { mails: number; events: number }[];
  return rows[0]!;
};

/** A fresh browser on the provider's login page for a client of a cat the player installed. */
async function oidcLoginPage(playerId: string) {
  const dev = await registerDeveloper(stack.t, uniqueEmail('dev'), PASSWORD);
  const catId = await createCat(stack.t.dataSource, dev.user.id);
  await install(stack.t.dataSource, playerId, catId, { asked: ['storage'], granted: ['storage'] });
  const registered = await registerClient(stack, dev.access_token, { cat_id: catId, client_name: 'Purr Web', redirect_uris: [REDIRECT] });
  const config = await oidc.discovery(new URL(stack.issuer), registered.client_id, registered.client_secret, oidc.ClientSecretBasic(registered.client_secret!), {
    execute: [oidc.allowInsecureRequests],
  });
  const url = oidc.buildAuthorizationUrl(config, {
    redirect_uri: REDIRECT,
    scope: 'openid',
    code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()),
    code_challenge_method: 'S256',
    state: oidc.randomState(),
  });
  const agent = new PlayerAgent(stack.url);
  await agent.follow(url.href);
  expect(agent.lastPage).toContain('id="password-form"');
  return agent;
}

it('a sign-in on the OpenID provider\'s login page from a new browser and network mails the notice, audited, once; that browser is known afterwards', async () => {
  const player = await playerFromFirefox();
  const agent = await oidcLoginPage(player.id);
  const after = await agent.signIn(player.email);
  expect(after.page ?? after.callback).toBeDefined();
  const mail = await smtp.waitFor(player.email, /New sign-in/);
  expect(mail.text).toContain('from the address 127.0.0.1');
  expect(mail.link).toMatch(/^https:\/\/app\.cathouse\.example\/reset-password#token=/);
  expect(await notices(player.id)).toEqual({ mails: 1, events: 1 });

  // The same browser on the same network again: nothing new.
  const again = await oidcLoginPage(player.id);
  await again.signIn(player.email);
  expect(await notices(player.id)).toEqual({ mails: 1, events: 1 });
});

it('a sign-in on the /device page from a new browser and network mails the notice', async () => {
  const player = await playerFromFirefox();
  const device = await request(stack.t.app).post('/api/v1/auth/device_authorization').type('form').send({ client_id: 'cathouse-cli' });
  expect(device.status).toBe(200);
  const userCode = device.body.user_code as string;
  const agent = new DevicePageAgent(stack.url);
  await agent.get(`/device?user_code=${encodeURIComponent(userCode)}`);
  await agent.submit('/device', { user_code: userCode });
  await agent.submit('/device/sign-in/password', { user_code: userCode, email: player.email, password: PASSWORD });
  expect(agent.page).toContain('id="decision-form"');
  await smtp.waitFor(player.email, /New sign-in/);
  expect(await notices(player.id)).toEqual({ mails: 1, events: 1 });
});
