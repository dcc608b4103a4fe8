import type * as OpenIdClient from 'openid-client' with { 'resolution-mode': 'import' };
import request from 'supertest';
import { postgresAdapter } from '../../src/auth/oidc/adapter';
import { bearer } from '../auth/helpers';
import { catWithPlayer, PASSWORD, PlayerAgent, registerClient } from './support';
import { API, authorizationUrl, NEW_PASSWORD, REDIRECT, signInAtProvider, useSignOutBed, type SignedIn } from './sign-out-bed';

/**
 * Issue 27: ending a user's sessions ends the provider's browser sign-in (sso-session-ending.test.ts),
 * and with it what that sign-in had not finished: an authorization code issued by it (or by a request
 * in flight at the sign-out) answers invalid_grant at /oidc/token, while the cat's refresh token keeps
 * the policy of provider-sign-outs.ts (kept on logout everywhere). A sign-in after the sign-out works.
 * Also: a browser coming back for an account that is gone gets an OAuth error, not a 500.
 */
const bed = useSignOutBed();

interface CodeInHand {
  callback: URL;
  verifier: string;
}

/** The sign-out mark counts whole seconds: a sign-in in the second of the sign-out is the owner's own, signing in again. */
const nextSecond = () => new Promise((resolve) => setTimeout(resolve, 1_100));



/**
 * The signed-in browser asks again without a password, for offline_access (prompt=consent), and
 * holds the code, unredeemed. offline_access matters: without it the library binds the code to the
 * browser session (expiresWithSession) and it dies with the session already; with it, it does not.
 */
async function codeFromSession({ config, agent }: SignedIn): Promise<CodeInHand> {
  const { url, verifier } = await authorizationUrl(bed, config, 'consent');
  expect((await agent.follow(url.href)).page).toContain('Purr Web wants to use your Cat House account');
  const step = await agent.consent({ allow: true });
  if (!step.callback) throw new Error(`no redirect: ${agent.lastStatus} ${agent.lastPage.replace(/<style>[\s\S]*<\/style>/, '').slice(0, 1500)}`);
  const callback = new URL(step.callback);
  const [row] = await codeRows(callback.searchParams.get('code')!);
  expect(row!.payload.scope).toContain('offline_access');
  expect(row!.payload.expiresWithSession).toBeFalsy();
  return { callback, verifier };
}

const redeem = (config: OpenIdClient.Configuration, code: CodeInHand) =>
  bed.oidc.authorizationCodeGrant(config, code.callback, { pkceCodeVerifier: code.verifier, expectedState: 'st' });

async function apiLogin(email: string, password = PASSWORD): Promise<string> {
  const res = await request(bed.stack.t.app).post(`${API}/login`).send({ email, password });
  expect(res.status).toBe(200);
  return res.body.access_token;
}

async function logoutEverywhere(email: string): Promise<void> {
  expect((await request(bed.stack.t.app).post(`${API}/logout`).set(bearer(await apiLogin(email))).send({ scope: 'global' })).status).toBe(204);
}

async function codeRows(code: string): Promise<{ id: string; payload: Record<string, unknown> }[]> {
  return bed.fixtures.query(`SELECT id, payload FROM auth.oidc_models WHERE model = 'AuthorizationCode' AND id = $1`, [code]);
}

describe('consent given again in a signed-in browser', () => {
  it('prompt=consent for an app already connected replaces its grant and ends with a code that works', async () => {
    const s = await signInAtProvider(bed);
    // The new consent deletes the old grant's rows; the interaction in flight names the old grant and must survive it.
    const code = await codeFromSession(s);
    const tokens = await redeem(s.config, code);
    expect(tokens.refresh_token).toBeDefined();
    await expect(bed.oidc.refreshTokenGrant(s.config, s.tokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
  });
});

describe('a code of a sign-in that ended is refused at the token endpoint', () => {
  it('a code not yet redeemed when the player logs out everywhere answers invalid_grant; a new sign-in works', async () => {
    const s = await signInAtProvider(bed);
    const code = await codeFromSession(s);
    await nextSecond();
    await logoutEverywhere(s.f.player.email);

    // Logout everywhere keeps the app's tokens (ENDS_APP_TOKENS; sso-session-ending.test.ts shows its
    // refresh token still working), so the code's row is still there: the adapter reads it as absent.
    expect(await codeRows(code.callback.searchParams.get('code')!)).toHaveLength(1);
    await expect(redeem(s.config, code)).rejects.toMatchObject({ error: 'invalid_grant' });

    // The player signs in again (after the mark): the new sign-in's code becomes tokens.
    const again = await authorizationUrl(bed, s.config);
    expect((await s.agent.follow(again.url.href)).page).toContain('Sign in with Cat House');
    await s.agent.signIn(s.f.player.email);
    const done = await s.agent.consent({ allow: true });
    const tokens = await redeem(s.config, { callback: new URL(done.callback!), verifier: again.verifier });
    expect(tokens.claims()?.sub).toBe(s.f.player.id);
  });

  it('a code saved by a request in flight at a password reset answers invalid_grant, and the owner signs in again with the new password', async () => {
    const s = await signInAtProvider(bed);
    const code = await codeFromSession(s);
    const [row] = await codeRows(code.callback.searchParams.get('code')!);
    await nextSecond();
    expect((await request(bed.stack.t.app).post(`${API}/password/forgot`).send({ email: s.f.player.email })).status).toBe(202);
    const mail = await bed.smtp.waitFor(s.f.player.email, /Reset your password/);
    expect((await request(bed.stack.t.app).post(`${API}/password/reset`).send({ token: mail.token, password: NEW_PASSWORD })).status).toBeLessThan(300);
    // The reset ended the app's codes and tokens (ENDS_APP_TOKENS)...
    expect(await codeRows(row!.id)).toHaveLength(0);

    // ...but a request that loaded the session before the reset saves its code when it ends: nothing is written,
    await postgresAdapter(bed.stack.t.dataSource)('AuthorizationCode').upsert(row!.id, row!.payload, 60);
    expect(await codeRows(row!.id)).toHaveLength(0);
    // and a save that landed between the reset's delete and its commit (the row is there) is read as absent.
    await bed.fixtures.query(`INSERT INTO auth.oidc_models (model, id, payload, grant_id, expires_at) VALUES ('AuthorizationCode', $1, $2, $3, now() + interval '1 minute') ON CONFLICT DO NOTHING`, [
      row!.id,
      JSON.stringify(row!.payload),
      row!.payload.grantId,
    ]);
    await expect(redeem(s.config, code)).rejects.toMatchObject({ error: 'invalid_grant' });

    const again = await authorizationUrl(bed, s.config);
    await s.agent.follow(again.url.href);
    await s.agent.signIn(s.f.player.email, NEW_PASSWORD);
    const done = await s.agent.consent({ allow: true });
    expect((await redeem(s.config, { callback: new URL(done.callback!), verifier: again.verifier })).access_token).toBeDefined();
  });

  it('a sign-in checked before logout everywhere and finished by the browser after it is refused (session not found), not turned into a code', async () => {
    const s = await signInAtProvider(bed);
    const browser = new PlayerAgent(bed.stack.url);
    const { url } = await authorizationUrl(bed, s.config);
    await browser.follow(url.href);
    const { action, fields } = browser.form('password-form');
    // The password is checked and the login handed to the library; the browser has not come back yet.
    const checked = await browser.send(action, { form: { ...fields, email: s.f.player.email, password: PASSWORD } });
    expect(checked.status).toBe(303);
    await nextSecond();
    await logoutEverywhere(s.f.player.email);

    // The sign-in dates from before the mark: its session is never written, so the consent page that
    // should follow finds none (without the sign-in's own time, it would date from the browser's return).
    const resumed = await browser.follow(checked.headers.get('location')!);
    expect(resumed.callback).toBeUndefined();
    expect(browser.lastStatus).toBe(400);
    expect(resumed.page).toContain('data-code="invalid_request"');
    expect(resumed.page).toContain('session not found');
  });
});

describe('a browser coming back for an account that is gone', () => {
  it('gets login_required at the cat (not a 500) when the account was deactivated between the sign-in and its return, then the login page', async () => {
    const f = await catWithPlayer(bed.stack, bed.fixtures, { asked: ['storage'], granted: ['storage'] });
    const registered = await registerClient(bed.stack, f.developer.token, { cat_id: f.catId, client_name: 'Purr Web', redirect_uris: [REDIRECT] });
    const config = await bed.oidc.discovery(new URL(bed.stack.issuer), registered.client_id, registered.client_secret, bed.oidc.ClientSecretBasic(registered.client_secret!), {
      execute: [bed.oidc.allowInsecureRequests],
    });
    const browser = new PlayerAgent(bed.stack.url);
    const { url } = await authorizationUrl(bed, config);
    await browser.follow(url.href);
    const { action, fields } = browser.form('password-form');
    const checked = await browser.send(action, { form: { ...fields, email: f.player.email, password: PASSWORD } });
    expect(checked.status).toBe(303);

    await bed.fixtures.query(`UPDATE auth.users SET role = 'admin' WHERE id = $1`, [f.developer.id]);
    const [developer] = (await bed.fixtures.query(`SELECT email FROM auth.users WHERE id = $1`, [f.developer.id])) as { email: string }[];
    const deactivated = await request(bed.stack.t.app).patch(`${API}/users/${f.player.id}`).set(bearer(await apiLogin(developer!.email))).send({ is_active: false });
    expect(deactivated.status).toBe(200);

    const resumed = await browser.follow(checked.headers.get('location')!);
    expect(resumed.callback).toBeDefined();
    const callback = new URL(resumed.callback!);
    expect(callback.searchParams.get('error')).toBe('login_required');
    expect(callback.searchParams.get('state')).toBe('st');
    // The dead session is not kept: the same browser is asked to sign in.
    const next = await browser.follow((await authorizationUrl(bed, config)).url.href);
    expect(browser.lastStatus).toBe(200);
    expect(next.page).toContain('Sign in with Cat House');
  });
});
