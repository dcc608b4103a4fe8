/**
 * Passkeys in real Chromium (Debian's, through playwright-core) with the DevTools protocol's
 * virtual authenticator: an internal (platform) authenticator with resident keys and user
 * verification. The page is a blank document at the service's web origin (APP_URL, so the RP id
 * is its host); the test carries the JSON between the service and navigator.credentials, as an
 * app's client code would.
 */
import jwt from 'jsonwebtoken';
import type { Browser, BrowserContext, CDPSession, Page } from 'playwright-core';
import request from 'supertest';
import { bearer, register, uniqueEmail } from '../auth/helpers';
import { launchChromium } from '../browser/support/chromium';
// navigator.credentials.get() with the service's options JSON, shared with the other passkey tests.
import { passkeyAssertion as get } from '../browser/support/passkey-pages';
import { api, auditTypes, PASSWORD, useFactorApp } from './support';

const ORIGIN = 'http://localhost:3000';
const claims = (token: string) => jwt.decode(token) as Record<string, unknown>;

let browser: Browser;
beforeAll(async () => {
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
});

/** A page at `origin` with its own virtual authenticator. */
async function pageWithAuthenticator(origin = ORIGIN): Promise<{ context: BrowserContext; page: Page; cdp: CDPSession }> {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.route(`${origin}/**`, (route) => route.fulfill({ status: 200, contentType: 'text/html', body: '<!doctype html><title>passkeys</title>' }));
  await page.goto(`${origin}/`);
  const cdp = await context.newCDPSession(page);
  await cdp.send('WebAuthn.enable', { enableUI: false });
  await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: { protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true },
  });
  return { context, page, cdp };
}

/** The page's WebAuthn API, typed here (the tests compile without the DOM library). */
interface PageWebAuthn {
  navigator: { credentials: { create(o: unknown): Promise<{ toJSON(): Record<string, unknown> }> } };
  PublicKeyCredential: { parseCreationOptionsFromJSON(o: unknown): unknown };
}

/** navigator.credentials.create() in the page with the service's options JSON; the credential's JSON. */
const create = (page: Page, options: unknown) =>
  page.evaluate(async (o) => {
    const w = globalThis as unknown as PageWebAuthn;
    return (await w.navigator.credentials.create({ publicKey: w.PublicKeyCredential.parseCreationOptionsFromJSON(o) })).toJSON();
  }, options);


describe('passkeys in Chromium', () => {
  const f = useFactorApp({ APP_URL: ORIGIN });

  /** A player with one passkey registered in `page`'s authenticator. */
  async function playerWithPasskey(page: Page, label: string) {
    const email = uniqueEmail(label);
    const reg = await register(f.t.app, email, PASSWORD);
    const options = await request(f.t.app).post(api('/me/passkeys/options')).set(bearer(reg.access_token));
    expect(options.status).toBe(200);
    const response = await create(page, options.body);
    const registered = await request(f.t.app).post(api('/me/passkeys')).set(bearer(reg.access_token)).send({ response, name: 'Test laptop' });
    expect([registered.status, registered.body.detail]).toEqual([201, undefined]);
    return { email, reg, registered: registered.body };
  }

  it('registers a discoverable passkey and signs in with it alone, without an email (amr hwk + mfa)', async () => {
    const { context, page } = await pageWithAuthenticator();
    try {
      const { reg, registered, email } = await playerWithPasskey(page, 'passkey');
      expect(registered.passkey).toMatchObject({ name: 'Test laptop', device_type: 'singleDevice', backed_up: false });
      // The first factor comes with recovery codes.
      expect(registered.recovery_codes).toHaveLength(10);
      await f.smtp.waitFor(email, /A sign-in factor was added/);
      // Adding another factor now needs this session to prove the passkey (a step-up).
      const another = await request(f.t.app).post(api('/me/passkeys/options')).set(bearer(reg.access_token));
      expect(another.body.error).toBe('insufficient_user_authentication');
      expect(another.body.factors).toEqual(['passkey', 'recovery_code']);

      const signInOptions = await request(f.t.app).post(api('/passkeys/sign-in/options'));
      expect(signInOptions.body).toMatchObject({ rpId: 'localhost', userVerification: 'required' });
      expect(signInOptions.body.allowCredentials ?? []).toEqual([]);
      const assertion = await get(page, signInOptions.body);
      const signedIn = await request(f.t.app).post(api('/passkeys/sign-in')).send({ response: assertion });
      expect(signedIn.status).toBe(200);
      expect(signedIn.body.user.id).toBe(reg.user.id);
      expect(claims(signedIn.body.access_token)).toMatchObject({ sub: reg.user.id, amr: ['hwk', 'mfa'], acr: 'urn:cathouse:acr:mfa' });
      const [row] = await f.t.dataSource.query(`SELECT sign_count, last_used_at FROM auth.webauthn_credentials WHERE user_id = $1`, [reg.user.id]);
      expect(Number(row.sign_count)).toBeGreaterThan(0);
      expect(row.last_used_at).not.toBeNull();

      // The same assertion again: its challenge was answered. A replay, not a cloned authenticator:
      // no clone alarm (the counter it carries is the one its first use stored).
      const replay = await request(f.t.app).post(api('/passkeys/sign-in')).send({ response: assertion });
      expect(replay.status).toBe(401);
      expect(replay.body.error).toBe('invalid_credentials');
      expect(replay.body.detail).toMatch(/already answered \(a replayed response\)/);
      expect(await auditTypes(f, reg.user.id)).not.toContain('passkey_clone_suspected');
    } finally {
      await context.close();
    }
  });

  it('answers the MFA challenge of a password sign-in with the passkey (amr pwd + hwk + mfa)', async () => {
    const { context, page } = await pageWithAuthenticator();
    try {
      const { email, reg } = await playerWithPasskey(page, 'second');
      const first = await request(f.t.app).post(api('/login')).send({ email, password: PASSWORD });
      expect(first.status).toBe(403);
      expect(first.body.factors).toEqual(['passkey', 'recovery_code']);
      const options = await request(f.t.app).post(api('/mfa/passkey-options')).send({ mfa_token: first.body.mfa_token });
      expect(options.body.allowCredentials).toHaveLength(1);
      expect(options.body.userVerification).toBe('preferred');
      const assertion = await get(page, options.body);
      const done = await request(f.t.app).post(api('/mfa/verify')).send({ mfa_token: first.body.mfa_token, passkey: assertion });
      expect(done.status).toBe(200);
      expect(claims(done.body.access_token)).toMatchObject({ sub: reg.user.id, amr: ['pwd', 'hwk', 'mfa'] });

      // An assertion made for a passwordless sign-in does not answer an MFA challenge (its challenge's purpose differs).
      const other = await request(f.t.app).post(api('/login')).send({ email, password: PASSWORD });
      const signInAssertion = await get(page, (await request(f.t.app).post(api('/passkeys/sign-in/options'))).body);
      const wrongPurpose = await request(f.t.app).post(api('/mfa/verify')).send({ mfa_token: other.body.mfa_token, passkey: signInAssertion });
      expect(wrongPurpose.status).toBe(401);
    } finally {
      await context.close();
    }
  });

  it('refuses a passkey response made on another origin', async () => {
    const home = await pageWithAuthenticator();
    try {
      const { reg } = await playerWithPasskey(home.page, 'origin');
      // The same RP id (localhost) from another port, in the same tab (its virtual authenticator
      // holds the passkey): the browser signs, the service refuses the origin.
      await home.page.route('http://localhost:4000/**', (route) => route.fulfill({ status: 200, contentType: 'text/html', body: '<!doctype html>' }));
      await home.page.goto('http://localhost:4000/');
      const options = (await request(f.t.app).post(api('/passkeys/sign-in/options'))).body;
      const assertion = await get(home.page, options);
      const res = await request(f.t.app).post(api('/passkeys/sign-in')).send({ response: assertion });
      expect(res.status).toBe(401);
      expect(res.body.detail).toMatch(/origin/i);
      expect(await auditTypes(f, reg.user.id)).toContain('login_failed');
    } finally {
      await home.context.close();
    }
  });

  it('refuses and audits a signature counter that went back (a cloned authenticator)', async () => {
    const { context, page } = await pageWithAuthenticator();
    try {
      const { reg } = await playerWithPasskey(page, 'clone');
      await f.t.dataSource.query(`UPDATE auth.webauthn_credentials SET sign_count = 1000000 WHERE user_id = $1`, [reg.user.id]);
      const assertion = await get(page, (await request(f.t.app).post(api('/passkeys/sign-in/options'))).body);
      const res = await request(f.t.app).post(api('/passkeys/sign-in')).send({ response: assertion });
      expect(res.status).toBe(401);
      expect(await auditTypes(f, reg.user.id)).toContain('passkey_clone_suspected');
    } finally {
      await context.close();
    }
  });

  it('lists, renames and (after a passkey step-up) deletes a passkey', async () => {
    const { context, page } = await pageWithAuthenticator();
    try {
      const { reg, registered } = await playerWithPasskey(page, 'manage');
      const id = registered.passkey.id as string;
      const renamed = await request(f.t.app).patch(api(`/me/passkeys/${id}`)).set(bearer(reg.access_token)).send({ name: 'Phone' });
      expect(renamed.body.name).toBe('Phone');
      expect((await request(f.t.app).get(api('/me/factors')).set(bearer(reg.access_token))).body.passkeys.map((p: { name: string }) => p.name)).toEqual(['Phone']);
      expect((await request(f.t.app).delete(api(`/me/passkeys/${id}`)).set(bearer(reg.access_token))).status).toBe(401);
      const stepUpOptions = await request(f.t.app).post(api('/step-up/passkey-options')).set(bearer(reg.access_token));
      const stepped = await request(f.t.app).post(api('/step-up')).set(bearer(reg.access_token)).send({ passkey: await get(page, stepUpOptions.body) });
      expect(stepped.status).toBe(200);
      expect(claims(stepped.body.access_token).amr).toEqual(['pwd', 'hwk', 'mfa']);
      expect((await request(f.t.app).delete(api(`/me/passkeys/${id}`)).set(bearer(stepped.body.access_token))).status).toBe(204);
      // Issue 29's security events: the passkey (and the recovery codes of a first factor) came and went.
      const events: { type: string; data: Record<string, unknown> }[] = await f.t.dataSource.query(
        `SELECT type, data FROM auth.security_events WHERE subject_key = $1 AND type LIKE 'factor.%' ORDER BY id`,
        [`user:${reg.user.id}`],
      );
      expect(events.map((e) => [e.type, e.data.factor_type, e.data.factor_id])).toEqual([
        ['factor.added', 'passkey', id],
        ['factor.added', 'recovery_codes', 'recovery_codes'],
        ['factor.removed', 'passkey', id],
        ['factor.removed', 'recovery_codes', 'recovery_codes'],
      ]);
      expect((await request(f.t.app).patch(api('/me/passkeys/not-a-uuid')).set(bearer(reg.access_token)).send({ name: 'x' })).status).toBe(400);
    } finally {
      await context.close();
    }
  });
});

describe('app association files', () => {
  const f = useFactorApp({
    APPLE_APP_IDS: 'ABCDE12345.com.cathouse.app',
    ANDROID_APPS: `com.cathouse.app@${Array.from({ length: 32 }, () => 'AB').join(':')}`,
  });

  it('serves webcredentials and get_login_creds from configuration', async () => {
    const apple = await request(f.t.app).get('/.well-known/apple-app-site-association');
    expect(apple.status).toBe(200);
    expect(apple.body).toEqual({ webcredentials: { apps: ['ABCDE12345.com.cathouse.app'] } });
    const android = await request(f.t.app).get('/.well-known/assetlinks.json');
    expect(android.body).toEqual([
      {
        relation: ['delegate_permission/common.get_login_creds'],
        target: { namespace: 'android_app', package_name: 'com.cathouse.app', sha256_cert_fingerprints: [Array.from({ length: 32 }, () => 'AB').join(':')] },
      },
    ]);
    // The Android app's origin is accepted for WebAuthn responses.
    expect(f.t.config.factors.origins).toContain(`android:apk-key-hash:${Buffer.alloc(32, 0xab).toString('base64url')}`);
  });
});
