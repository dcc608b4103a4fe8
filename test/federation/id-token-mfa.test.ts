import request from 'supertest';
import { bearer, register, registerDeveloper, uniqueEmail } from '../auth/helpers';
import { decodeClaims } from '../auth/installations';
import { PASSWORD, totpCode } from '../factors/support';
import { appleClaims, googleClaims, rawNonce } from './stand-in-provider';
import { APPLE_CLIENT, GOOGLE_ANDROID_CLIENT, GOOGLE_WEB_CLIENT, loginSucceededDetail, signInCounts, useFederationTestbed } from './support';

/**
 * Issue 26 item 4 for native provider sign-in (POST id-token): an account with a second factor is
 * asked for it after the provider's ID token, exactly as after a password (403 mfa_required, no
 * session until POST mfa/verify), so a Google or Apple account alone no longer gets past an
 * authenticator app. The tokens then say fed + otp, multi-factor.
 */
const clock = { now: Date.UTC(2026, 0, 1) };
const bed = useFederationTestbed({}, { factorClock: () => clock.now });
const api = (path: string) => `/api/v1/auth${path}`;

async function appleSignIn(sub?: string, email?: string) {
  const nonce = rawNonce();
  const overrides = sub ? { sub, email } : {};
  return request(bed.app.app).post(api('/id-token')).send({ provider: 'apple', id_token: await bed.apple.sign(appleClaims(bed.apple, APPLE_CLIENT, nonce, overrides)), nonce });
}

/** Sets up an authenticator app with the session's access token: its secret (the clock moves past the confirming code). */
async function enrolTotp(accessToken: string): Promise<string> {
  const begun = await request(bed.app.app).post(api('/me/totp')).set(bearer(accessToken));
  expect(begun.status).toBe(201);
  const secret = begun.body.secret as string;
  expect((await request(bed.app.app).post(api('/me/totp/confirm')).set(bearer(accessToken)).send({ code: totpCode(secret, clock.now) })).status).toBe(200);
  clock.now += 30_000;
  return secret;
}

const sessionCount = async (userId: string) => Number((await bed.app.dataSource.query(`SELECT count(*) AS n FROM auth.sessions WHERE user_id = $1`, [userId]))[0].n);

it('a player without a second factor gets tokens from the ID token at once (amr fed)', async () => {
  const res = await appleSignIn();
  expect(res.status).toBe(201);
  expect(decodeClaims(res.body.access_token)).toMatchObject({ amr: ['fed'], acr: 'urn:cathouse:acr:password' });
});

it('with an authenticator app, the ID token answers mfa_required and no session; a wrong code is refused; the right one gives amr fed, otp, mfa', async () => {
  const first = await appleSignIn();
  expect(first.status).toBe(201);
  const { id: userId, email } = first.body.user as { id: string; email: string };
  const [identity] = await bed.app.dataSource.query(`SELECT subject FROM auth.identities WHERE user_id = $1`, [userId]);
  const secret = await enrolTotp(first.body.access_token);
  const sessionsBefore = await sessionCount(userId);

  const asked = await appleSignIn(identity.subject, email);
  expect(asked.status).toBe(403);
  expect(asked.headers['cache-control']).toBe('no-store');
  expect(asked.body).toMatchObject({ error: 'mfa_required', mfa_token: expect.any(String), expires_in: expect.any(Number), factors: ['totp', 'recovery_code'] });
  expect(asked.body.access_token).toBeUndefined();
  expect(asked.body.refresh_token).toBeUndefined();
  expect(await sessionCount(userId)).toBe(sessionsBefore);

  const wrong = await request(bed.app.app).post(api('/mfa/verify')).send({ mfa_token: asked.body.mfa_token, totp_code: totpCode(secret, clock.now + 10 * 30_000) });
  expect(wrong.status).toBe(401);
  expect(wrong.body.error).toBe('invalid_credentials');
  expect(await sessionCount(userId)).toBe(sessionsBefore);

  const verified = await request(bed.app.app).post(api('/mfa/verify')).send({ mfa_token: asked.body.mfa_token, totp_code: totpCode(secret, clock.now) });
  expect(verified.status).toBe(200);
  expect(verified.body.user.id).toBe(userId);
  expect(decodeClaims(verified.body.access_token)).toMatchObject({ sub: userId, amr: ['fed', 'otp', 'mfa'], acr: 'urn:cathouse:acr:mfa' });
  expect(await sessionCount(userId)).toBe(sessionsBefore + 1);
  // The MFA token is spent with the session it started.
  const again = await request(bed.app.app).post(api('/mfa/verify')).send({ mfa_token: asked.body.mfa_token, totp_code: totpCode(secret, clock.now + 30_000) });
  expect(again.body.error).toBe('invalid_mfa_token');
});

it('a developer with an authenticator app whose Google account links by verified email: mfa_required keeps the link, and a recovery code completes it', async () => {
  const email = uniqueEmail('studio');
  const dev = await registerDeveloper(bed.app, email);
  const begun = await request(bed.app.app).post(api('/me/totp')).set(bearer(dev.access_token));
  const confirmed = await request(bed.app.app).post(api('/me/totp/confirm')).set(bearer(dev.access_token)).send({ code: totpCode(begun.body.secret, clock.now) });
  expect(confirmed.status).toBe(200);
  const sessionsBefore = await sessionCount(dev.user.id);

  const nonce = rawNonce();
  const claims = googleClaims(bed.google, GOOGLE_WEB_CLIENT, GOOGLE_ANDROID_CLIENT, nonce, { email });
  const asked = await request(bed.app.app).post(api('/id-token')).send({ provider: 'google', id_token: await bed.google.sign(claims), nonce });
  expect(asked.status).toBe(403);
  expect(asked.body.error).toBe('mfa_required');
  expect(await sessionCount(dev.user.id)).toBe(sessionsBefore);
  // The link by verified email committed although no session started; the developer's password stays.
  const identities = await bed.app.dataSource.query(`SELECT provider, subject FROM auth.identities WHERE user_id = $1`, [dev.user.id]);
  expect(identities).toEqual([{ provider: 'google', subject: claims.sub }]);
  const [user] = await bed.app.dataSource.query(`SELECT password_hash IS NOT NULL AS has_password FROM auth.users WHERE id = $1`, [dev.user.id]);
  expect(user.has_password).toBe(true);

  const verified = await request(bed.app.app).post(api('/mfa/verify')).send({ mfa_token: asked.body.mfa_token, recovery_code: confirmed.body.recovery_codes[0] });
  expect(verified.status).toBe(200);
  expect(decodeClaims(verified.body.access_token)).toMatchObject({ sub: dev.user.id, role: 'developer', amr: ['fed', 'otp', 'mfa'] });
});

it('completing the second factor counts the sign-in as the provider\'s (auth_sign_ins_total, not a password login) and names the provider in login_succeeded', async () => {
  const first = await appleSignIn();
  const { id: userId, email } = first.body.user as { id: string; email: string };
  const [identity] = await bed.app.dataSource.query(`SELECT subject FROM auth.identities WHERE user_id = $1`, [userId]);
  const secret = await enrolTotp(first.body.access_token);
  const before = await signInCounts(bed.app.app, 'id_token', 'apple');

  const asked = await appleSignIn(identity.subject, email);
  expect(asked.body.error).toBe('mfa_required');
  // Not yet a sign-in: the provider alone is not enough for this account.
  expect(await signInCounts(bed.app.app, 'id_token', 'apple')).toEqual(before);

  const verified = await request(bed.app.app).post(api('/mfa/verify')).send({ mfa_token: asked.body.mfa_token, totp_code: totpCode(secret, clock.now) });
  expect(verified.status).toBe(200);
  expect(await signInCounts(bed.app.app, 'id_token', 'apple')).toEqual({ provider: before.provider + 1, password: before.password });
  const sessionId = decodeClaims(verified.body.access_token).sid as string;
  // What the same sign-in records without a second factor (method, provider), with the amr of both factors.
  expect(await loginSucceededDetail(bed.app.dataSource, sessionId)).toEqual({ amr: ['fed', 'otp', 'mfa'], method: 'id_token', provider: 'apple' });
});

it('a password login through the second factor still counts as a password login, names no provider, and leaves the provider sign-ins alone', async () => {
  const email = uniqueEmail('pwd-mfa');
  const reg = await register(bed.app.app, email, PASSWORD);
  const secret = await enrolTotp(reg.access_token);
  const before = await signInCounts(bed.app.app, 'id_token', 'apple');

  const asked = await request(bed.app.app).post(api('/login')).send({ email, password: PASSWORD });
  expect(asked.body.error).toBe('mfa_required');
  const verified = await request(bed.app.app).post(api('/mfa/verify')).send({ mfa_token: asked.body.mfa_token, totp_code: totpCode(secret, clock.now) });
  expect(verified.status).toBe(200);
  expect(await signInCounts(bed.app.app, 'id_token', 'apple')).toEqual({ provider: before.provider, password: before.password + 1 });
  expect(await loginSucceededDetail(bed.app.dataSource, decodeClaims(verified.body.access_token).sid as string)).toEqual({ amr: ['pwd', 'otp', 'mfa'] });
});

it("a squatter's authenticator app on an address they never proved asks the owner for nothing: the takeover defence drops it before the second-factor check", async () => {
  const email = uniqueEmail('squatted');
  const squatter = await register(bed.app.app, email);
  await enrolTotp(squatter.access_token);

  const nonce = rawNonce();
  const claims = googleClaims(bed.google, GOOGLE_WEB_CLIENT, GOOGLE_ANDROID_CLIENT, nonce, { email });
  const owner = await request(bed.app.app).post(api('/id-token')).send({ provider: 'google', id_token: await bed.google.sign(claims), nonce });
  expect(owner.status).toBe(200);
  expect(owner.body.user.id).toBe(squatter.user.id);
  expect(decodeClaims(owner.body.access_token).amr).toEqual(['fed']);
});
