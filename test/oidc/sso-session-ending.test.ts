import request from 'supertest';
import { postgresAdapter } from '../../src/auth/oidc/adapter';
import { bearer } from '../auth/helpers';
import { PASSWORD } from './support';
import { API, NEW_PASSWORD, REDIRECT, signInAtProvider, useSignOutBed, type SignedIn } from './sign-out-bed';

/**
 * Issues 27/22: the provider's browser session (its `_session` cookie, model Session in
 * auth.oidc_models) ends whenever the service ends a user's sessions. Without that, a browser that
 * signed in at the provider's login page with a stolen password kept authorizing cats as the
 * player (prompt=none, or the consent page with no password) for OIDC_SESSION_TTL_SECONDS after
 * the owner reset the password. Each test signs in at the login page, ends the sessions through the
 * API, and sends the same browser back with prompt=none: login_required, and the login page again.
 */
const bed = useSignOutBed();


/** The same browser asks again without a password: the redirect's error (login_required) or a code. */
async function silentAuthorization({ config, agent }: SignedIn): Promise<{ error: string | null; code: string | null }> {
  const url = bed.oidc.buildAuthorizationUrl(config, {
    redirect_uri: REDIRECT,
    scope: 'openid cathouse:storage',
    prompt: 'none',
    code_challenge: await bed.oidc.calculatePKCECodeChallenge(bed.oidc.randomPKCECodeVerifier()),
    code_challenge_method: 'S256',
    state: 'st',
  });
  const step = await agent.follow(url.href);
  if (!step.callback) throw new Error(`no redirect: ${agent.lastStatus} ${agent.lastPage.replace(/<style>[\s\S]*<\/style>/, "").slice(0, 1500)}`);
  const callback = new URL(step.callback);
  return { error: callback.searchParams.get('error'), code: callback.searchParams.get('code') };
}

/** Without prompt: the login page (signed out) or straight back with a code (still signed in). */
async function interactiveAuthorization({ config, agent }: SignedIn): Promise<{ page?: string; callback?: string }> {
  const url = bed.oidc.buildAuthorizationUrl(config, {
    redirect_uri: REDIRECT,
    scope: 'openid cathouse:storage',
    code_challenge: await bed.oidc.calculatePKCECodeChallenge(bed.oidc.randomPKCECodeVerifier()),
    code_challenge_method: 'S256',
    state: 'st',
  });
  return agent.follow(url.href);
}

async function providerSessions(userId: string): Promise<number> {
  const rows: { n: string }[] = await bed.fixtures.query(`SELECT count(*) AS n FROM auth.oidc_models WHERE model = 'Session' AND payload->>'accountId' = $1`, [userId]);
  return Number(rows[0]!.n);
}

async function sessionsRevokedEvents(userId: string): Promise<Record<string, unknown>[]> {
  const rows: { data: Record<string, unknown> }[] = await bed.fixtures.query(
    `SELECT data FROM auth.security_events WHERE subject_key = $1 AND type = 'user.sessions_revoked' ORDER BY id`,
    [`user:${userId}`],
  );
  return rows.map((r) => r.data);
}

async function apiLogin(email: string, password = PASSWORD): Promise<{ access_token: string }> {
  const res = await request(bed.stack.t.app).post(`${API}/login`).send({ email, password });
  expect(res.status).toBe(200);
  return res.body;
}

describe("the provider's browser session ends with the user's sessions", () => {
  it('before anything ends, the browser is signed in: prompt=none answers with a code (the baseline the other tests break)', async () => {
    const s = await signInAtProvider(bed);
    expect(await providerSessions(s.f.player.id)).toBe(1);
    expect((await silentAuthorization(s)).code).toBeTruthy();
  });

  it("a password reset signs the provider's browser out (login_required, the login page again) and ends the cats' tokens", async () => {
    const s = await signInAtProvider(bed);
    expect((await request(bed.stack.t.app).post(`${API}/password/forgot`).send({ email: s.f.player.email })).status).toBe(202);
    const mail = await bed.smtp.waitFor(s.f.player.email, /Reset your password/);
    expect((await request(bed.stack.t.app).post(`${API}/password/reset`).send({ token: mail.token, password: NEW_PASSWORD })).status).toBeLessThan(300);

    expect(await silentAuthorization(s)).toEqual({ error: 'login_required', code: null });
    expect((await interactiveAuthorization(s)).page).toContain('Sign in with Cat House');
    expect(await providerSessions(s.f.player.id)).toBe(0);
    // The account's recovery ends what the intruder may have connected too: the refresh token is refused.
    await expect(bed.oidc.refreshTokenGrant(s.config, s.tokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
    expect(await sessionsRevokedEvents(s.f.player.id)).toEqual([
      { reason: 'password_reset', initiated_by: 'user', sessions_ended: 1, provider_sessions_ended: 1, app_grants_ended: 1 },
    ]);
    // The consent stays listed; the owner signs in with the new password, allows the app again, and it gets a code.
    const apps = await request(bed.stack.t.app).get(`${API}/me/connected-apps`).set(bearer((await apiLogin(s.f.player.email, NEW_PASSWORD)).access_token));
    expect(apps.body.connected_apps).toHaveLength(1);
    expect((await s.agent.signIn(s.f.player.email, NEW_PASSWORD)).page).toContain('Purr Web wants to use your Cat House account');
    expect(new URL((await s.agent.consent({ allow: true })).callback!).searchParams.get('code')).toBeTruthy();
  });

  it('logout everywhere signs the provider browser out as well, even when no API session was live', async () => {
    const s = await signInAtProvider(bed);
    // The registration's session is the only API session; end it alone first, so only the provider's remains.
    expect((await request(bed.stack.t.app).post(`${API}/logout`).set(bearer(s.f.player.token)).send({})).status).toBe(204);
    expect((await silentAuthorization(s)).code).toBeTruthy();

    const fresh = await apiLogin(s.f.player.email);
    expect((await request(bed.stack.t.app).post(`${API}/logout`).set(bearer(fresh.access_token)).send({ scope: 'global' })).status).toBe(204);
    expect(await silentAuthorization(s)).toEqual({ error: 'login_required', code: null });
    expect(await providerSessions(s.f.player.id)).toBe(0);
    expect(await sessionsRevokedEvents(s.f.player.id)).toEqual([{ reason: 'logout_global', initiated_by: 'user', sessions_ended: 1, provider_sessions_ended: 1, app_grants_ended: 0 }]);
    // The player logged out; they did not disconnect their apps.
    expect((await bed.oidc.refreshTokenGrant(s.config, s.tokens.refresh_token!)).access_token).toBeDefined();
  });

  it("a password change signs the provider browser out but leaves the player's connected apps working", async () => {
    const s = await signInAtProvider(bed);
    const changed = await request(bed.stack.t.app)
      .post(`${API}/password/change`)
      .set(bearer(s.f.player.token))
      .send({ current_password: PASSWORD, new_password: NEW_PASSWORD });
    expect(changed.status).toBeLessThan(300);

    expect(await silentAuthorization(s)).toEqual({ error: 'login_required', code: null });
    expect(await providerSessions(s.f.player.id)).toBe(0);
    const refreshed = await bed.oidc.refreshTokenGrant(s.config, s.tokens.refresh_token!);
    expect(refreshed.access_token).toBeDefined();
    const audited: { detail: Record<string, unknown> }[] = await bed.fixtures.query(
      `SELECT detail FROM auth.audit_events WHERE user_id = $1 AND type = 'oidc_sessions_ended' ORDER BY id`,
      [s.f.player.id],
    );
    expect(audited.map((e) => e.detail)).toEqual([{ reason: 'password_changed', provider_sessions_ended: 1, app_grants_ended: 0 }]);
  });

  it("an admin's deactivation ends the provider session rows too, not only the account lookup", async () => {
    const s = await signInAtProvider(bed);
    await bed.fixtures.query(`UPDATE auth.users SET role = 'admin' WHERE id = $1`, [s.f.developer.id]);
    const [developer] = (await bed.fixtures.query(`SELECT email FROM auth.users WHERE id = $1`, [s.f.developer.id])) as { email: string }[];
    const adminToken = (await apiLogin(developer!.email)).access_token;
    const res = await request(bed.stack.t.app).patch(`${API}/users/${s.f.player.id}`).set(bearer(adminToken)).send({ is_active: false });
    expect(res.status).toBe(200);
    expect(await providerSessions(s.f.player.id)).toBe(0);
  });
});

describe('a request in flight at the sign-out cannot bring the session back', () => {
  it('a save of the session as loaded before the sign-out writes nothing, and a row written back anyway signs in no one', async () => {
    const s = await signInAtProvider(bed);
    const [loaded] = (await bed.fixtures.query(`SELECT id, payload FROM auth.oidc_models WHERE model = 'Session' AND payload->>'accountId' = $1`, [s.f.player.id])) as {
      id: string;
      payload: Record<string, unknown>;
    }[];
    // The mark counts whole seconds: a sign-in in the second of the sign-out is the owner's own.
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    const ended = await request(bed.stack.t.app).post(`${API}/logout`).set(bearer((await apiLogin(s.f.player.email)).access_token)).send({ scope: 'global' });
    expect(ended.status).toBe(204);

    // What oidc-provider does at the end of a request that loaded the session before the delete.
    await postgresAdapter(bed.stack.t.dataSource)('Session').upsert(loaded!.id, loaded!.payload, 3_600);
    expect(await providerSessions(s.f.player.id)).toBe(0);

    // A save that landed between the delete and its commit (the row is back, under the browser's cookie): the account lookup refuses it.
    await bed.fixtures.query(`INSERT INTO auth.oidc_models (model, id, payload, expires_at) VALUES ('Session', $1, $2, now() + interval '1 hour')`, [loaded!.id, JSON.stringify(loaded!.payload)]);
    expect(await providerSessions(s.f.player.id)).toBe(1);
    expect(await silentAuthorization(s)).toEqual({ error: 'login_required', code: null });
  });
});

describe('ending one session leaves the provider browser alone', () => {
  it('logout of one API session (not made by the provider login) keeps the provider browser signed in', async () => {
    const s = await signInAtProvider(bed);
    expect((await request(bed.stack.t.app).post(`${API}/logout`).set(bearer(s.f.player.token)).send({})).status).toBe(204);
    expect((await silentAuthorization(s)).code).toBeTruthy();
    expect(await providerSessions(s.f.player.id)).toBe(1);
  });
});
