import request from 'supertest';
import { hashNonce } from '../../src/auth/federation/id-token-verifier';
import { bearer, register, uniqueEmail } from '../auth/helpers';
import { totpCode } from '../factors/support';
import { appleClaims, googleClaims, rawNonce } from './stand-in-provider';
import { APPLE_CLIENT, GOOGLE_ANDROID_CLIENT, GOOGLE_WEB_CLIENT, metricValue, useFederationTestbed } from './support';

const bed = useFederationTestbed();
const api = (path: string) => `/api/v1/auth${path}`;
const PASSWORD = 'correct horse battery staple';

async function appleToken(overrides: Record<string, unknown>) {
  const nonce = rawNonce();
  return { provider: 'apple', nonce, id_token: await bed.apple.sign(appleClaims(bed.apple, APPLE_CLIENT, nonce, overrides)) };
}
async function googleToken(overrides: Record<string, unknown>) {
  const nonce = rawNonce();
  return { provider: 'google', nonce, id_token: await bed.google.sign(googleClaims(bed.google, GOOGLE_WEB_CLIENT, GOOGLE_ANDROID_CLIENT, nonce, overrides)) };
}
const signIn = async (body: Record<string, unknown>) => request(bed.app.app).post(api('/id-token')).send(body);
const events = async (userId: string) =>
  (await bed.app.dataSource.query(`SELECT type, detail FROM auth.audit_events WHERE user_id = $1 ORDER BY id`, [userId])) as { type: string; detail: Record<string, unknown> }[];
/** auth_identity_changes_total by action, read together. */
const identityChanges = async () => ({
  linked: await metricValue(bed.app.app, 'auth_identity_changes_total{action="linked"}'),
  takeoverDefence: await metricValue(bed.app.app, 'auth_identity_changes_total{action="takeover_defence"}'),
});
const verifyEmail = (userId: string) => bed.app.dataSource.query(`UPDATE auth.users SET email_verified_at = now() WHERE id = $1`, [userId]);

describe('automatic linking by a verified address', () => {
  it('links a Google sign-in to the password account of the same address when both have proven it; the password keeps working', async () => {
    const email = uniqueEmail('verified');
    const owner = await register(bed.app.app, email);
    await verifyEmail(owner.user.id);
    const before = await identityChanges();
    const res = await signIn(await googleToken({ email }));
    expect(res.status).toBe(200);
    expect(await identityChanges()).toEqual({ linked: before.linked + 1, takeoverDefence: before.takeoverDefence });
    expect(res.body).toMatchObject({ created: false, user: { id: owner.user.id } });
    expect((await request(bed.app.app).post(api('/login')).send({ email, password: PASSWORD })).status).toBe(200);
    // The owner's other session is untouched.
    expect((await request(bed.app.app).get(api('/me')).set(bearer(owner.access_token))).status).toBe(200);
    expect((await events(owner.user.id)).map((e) => e.type)).toContain('identity_linked');
    expect((await events(owner.user.id)).map((e) => e.type)).not.toContain('identity_takeover_defence');
  });
});

describe('the pre-account-takeover defence', () => {
  it("drops the password, every session and the pending links of an account whose address was never proven, before linking the provider that proves it, and audits it", async () => {
    const email = uniqueEmail('victim');
    // Someone registers the victim's address with a password of their own and keeps a session.
    const squatter = await register(bed.app.app, email, 'squatters own password 123');
    const pendingLinks = async () => Number((await bed.app.dataSource.query(`SELECT count(*) AS n FROM auth.account_tokens WHERE user_id = $1 AND used_at IS NULL`, [squatter.user.id]))[0].n);
    expect(await pendingLinks()).toBeGreaterThan(0); // the verification mail's link

    // The owner signs in with Apple, which proves the address.
    const before = await identityChanges();
    const owner = await signIn(await appleToken({ email, is_private_email: 'false' }));
    expect(owner.status).toBe(200);
    // Counted in auth_identity_changes_total: the defence, and the link it preceded.
    expect(await identityChanges()).toEqual({ linked: before.linked + 1, takeoverDefence: before.takeoverDefence + 1 });
    expect(owner.body.user).toMatchObject({ id: squatter.user.id, email_verified: true });

    expect((await request(bed.app.app).post(api('/login')).send({ email, password: 'squatters own password 123' })).body.error).toBe('invalid_credentials');
    expect((await request(bed.app.app).post(api('/refresh')).send({ refresh_token: squatter.refresh_token })).body.error).toBe('invalid_grant');
    expect((await request(bed.app.app).get(api('/me')).set(bearer(squatter.access_token))).status).toBe(401);
    expect(await pendingLinks()).toBe(0);
    // The owner's own session works.
    expect((await request(bed.app.app).get(api('/me')).set(bearer(owner.body.access_token))).status).toBe(200);

    const defence = (await events(squatter.user.id)).find((e) => e.type === 'identity_takeover_defence');
    expect(defence?.detail).toEqual({ provider: 'apple', credential_dropped: true, sessions_ended: 1, links_dropped: 1, factors_dropped: 0, apps_revoked: 0, access_tokens_revoked: 0, device_logins_denied: 0 });
    const types = (await events(squatter.user.id)).map((e) => e.type);
    expect(types.indexOf('identity_takeover_defence')).toBeLessThan(types.indexOf('identity_linked'));
  });

  it("also drops what the squatter set up to keep a way in: second factors (a passkey signs in alone), access tokens, approved device logins", async () => {
    const email = uniqueEmail('victim-factors');
    const squatter = await register(bed.app.app, email, 'squatters own password 123');
    const uid = squatter.user.id;
    // An authenticator app, through the API (recovery codes come with it)...
    const begun = await request(bed.app.app).post(api('/me/totp')).set(bearer(squatter.access_token));
    expect(begun.status).toBe(201);
    const confirmed = await request(bed.app.app).post(api('/me/totp/confirm')).set(bearer(squatter.access_token)).send({ code: totpCode(begun.body.secret, Date.now()) });
    expect(confirmed.status).toBe(200);
    // ...and, as rows the way their own endpoints write them, a passkey, a personal access token and a CLI login
    // approved but not yet collected (those endpoints need a browser or a developer; their own tests drive them).
    const db = bed.app.dataSource;
    await db.query(`INSERT INTO auth.webauthn_credentials (user_id, credential_id, public_key, device_type, name) VALUES ($1, 'squatter-passkey', '\\x00', 'singleDevice', 'Squatter key')`, [uid]);
    await db.query(`INSERT INTO auth.personal_access_tokens (user_id, name, token_hash, token_prefix, scopes, expires_at) VALUES ($1, 'ci', '\\x01', 'chp_x', '{}', now() + interval '1 day')`, [uid]);
    await db.query(
      `INSERT INTO auth.device_authorizations (device_code_hash, user_code, client_id, expires_at, interval_seconds, status, user_id) VALUES ('\\x02', 'SQUA-TTER', 'cathouse-cli', now() + interval '10 minutes', 5, 'approved', $1)`,
      [uid],
    );

    const owner = await signIn(await appleToken({ email, is_private_email: 'false' }));
    expect(owner.status).toBe(200);
    expect(owner.body.user.id).toBe(uid);
    const count = async (table: string, where = 'true') => Number((await db.query(`SELECT count(*) AS n FROM auth.${table} WHERE user_id = $1 AND ${where}`, [uid]))[0].n);
    expect(await count('totp_factors')).toBe(0);
    expect(await count('recovery_codes')).toBe(0);
    expect(await count('webauthn_credentials')).toBe(0);
    expect(await count('personal_access_tokens', 'revoked_at IS NULL')).toBe(0);
    expect(await count('device_authorizations', "status = 'approved'")).toBe(0);
    // The owner's factor list is empty: nothing of the squatter's stands between them and the account.
    const factors = await request(bed.app.app).get(api('/me/factors')).set(bearer(owner.body.access_token));
    expect(factors.status).toBe(200);
    expect(factors.body).toEqual({ factors: [], totp: { enabled: false }, passkeys: [], recovery_codes: { remaining: 0 } });

    const defence = (await events(uid)).find((e) => e.type === 'identity_takeover_defence');
    expect(defence?.detail).toEqual({
      provider: 'apple',
      credential_dropped: true,
      sessions_ended: 1,
      links_dropped: 0, // confirming the authenticator app already retired the verification mail's link
      factors_dropped: 3,
      apps_revoked: 0,
      access_tokens_revoked: 1,
      device_logins_denied: 1,
    });
    const removed = await db.query(`SELECT data->>'factor_type' AS t FROM auth.security_events WHERE subject_key = $1 AND type = 'factor.removed' ORDER BY id`, [`user:${uid}`]);
    expect(removed.map((r: { t: string }) => r.t)).toEqual(['totp', 'passkey', 'recovery_codes']);
  });

  it('refuses a deactivated account (account_disabled) without linking', async () => {
    const email = uniqueEmail('disabled');
    const user = await register(bed.app.app, email);
    await bed.app.dataSource.query(`UPDATE auth.users SET is_active = false WHERE id = $1`, [user.user.id]);
    const res = await signIn(await googleToken({ email }));
    expect(res.body.error).toBe('account_disabled');
    expect(await bed.app.dataSource.query(`SELECT 1 FROM auth.identities WHERE user_id = $1`, [user.user.id])).toEqual([]);
  });
});

describe('GET, POST and DELETE me/identities', () => {
  it('links a provider account with a fresh sign-in of it, lists it, and refuses it for another account (identity_in_use)', async () => {
    const user = await register(bed.app.app, uniqueEmail('linker'));
    const google = googleClaims(bed.google, GOOGLE_WEB_CLIENT, GOOGLE_ANDROID_CLIENT, 'unused', { email: uniqueEmail('other-address') });
    const link = async (token: string) => {
      const nonce = rawNonce();
      const id_token = await bed.google.sign({ ...google, nonce: hashNonce(nonce) });
      return request(bed.app.app).post(api('/me/identities')).set(bearer(token)).send({ provider: 'google', id_token, nonce });
    };
    const linked = await link(user.access_token);
    expect(linked.status).toBe(201);
    expect(linked.body).toMatchObject({ provider: 'google', email: google.email });
    const list = await request(bed.app.app).get(api('/me/identities')).set(bearer(user.access_token));
    expect(list.body.identities.map((i: { id: string }) => i.id)).toEqual([linked.body.id]);

    const other = await register(bed.app.app, uniqueEmail('other'));
    expect((await link(other.access_token)).body.error).toBe('identity_in_use');
    // Signing in with it now reaches the account it is linked to.
    const nonce = rawNonce();
    const again = await signIn({ provider: 'google', nonce, id_token: await bed.google.sign({ ...google, nonce: hashNonce(nonce) }) });
    expect(again.body.user.id).toBe(user.user.id);
  });

  it("never unlinks an account's last way in (last_identity), and unlinks once another exists", async () => {
    const first = await signIn(await appleToken({}));
    const token = first.body.access_token as string;
    const [apple] = (await request(bed.app.app).get(api('/me/identities')).set(bearer(token))).body.identities;
    const refused = await request(bed.app.app).delete(api(`/me/identities/${apple.id}`)).set(bearer(token));
    expect({ status: refused.status, error: refused.body.error }).toEqual({ status: 409, error: 'last_identity' });

    const second = await request(bed.app.app).post(api('/me/identities')).set(bearer(token)).send(await googleToken({}));
    expect(second.status).toBe(201);
    expect((await request(bed.app.app).delete(api(`/me/identities/${apple.id}`)).set(bearer(token))).status).toBe(204);
    const left = (await request(bed.app.app).get(api('/me/identities')).set(bearer(token))).body.identities;
    expect(left.map((i: { provider: string }) => i.provider)).toEqual(['google']);
    expect((await events(first.body.user.id)).map((e) => e.type)).toContain('identity_unlinked');
    expect((await request(bed.app.app).delete(api(`/me/identities/${apple.id}`)).set(bearer(token))).body.error).toBe('not_found');
  });

  it('unlinks the only identity of an account that has a password', async () => {
    const email = uniqueEmail('with-password');
    const user = await register(bed.app.app, email);
    await verifyEmail(user.user.id);
    await signIn(await googleToken({ email }));
    const [google] = (await request(bed.app.app).get(api('/me/identities')).set(bearer(user.access_token))).body.identities;
    expect((await request(bed.app.app).delete(api(`/me/identities/${google.id}`)).set(bearer(user.access_token))).status).toBe(204);
  });

  it("does not unlink another user's identity", async () => {
    const owner = await signIn(await appleToken({}));
    const [identity] = (await request(bed.app.app).get(api('/me/identities')).set(bearer(owner.body.access_token))).body.identities;
    const other = await register(bed.app.app, uniqueEmail('stranger'));
    expect((await request(bed.app.app).delete(api(`/me/identities/${identity.id}`)).set(bearer(other.access_token))).body.error).toBe('not_found');
  });
});
