import jwt from 'jsonwebtoken';
import request from 'supertest';
import { bearer, register, uniqueEmail } from '../auth/helpers';
import { ageSession, api, auditTypes, PASSWORD, totpCode, useFactorApp, userWithTotp } from './support';

const claims = (token: string) => jwt.decode(token) as Record<string, unknown>;

describe('authenticator app (TOTP) enrolment', () => {
  const f = useFactorApp();

  it('gives a secret and an otpauth URI, is confirmed by a first code only, and comes with ten recovery codes', async () => {
    const email = uniqueEmail('enrol');
    const reg = await register(f.t.app, email, PASSWORD);
    const begun = await request(f.t.app).post(api('/me/totp')).set(bearer(reg.access_token));
    expect(begun.status).toBe(201);
    expect(begun.headers['cache-control']).toBe('no-store');
    expect(begun.body).toMatchObject({ algorithm: 'SHA1', digits: 6, period: 30 });
    expect(begun.body.otpauth_uri).toMatch(/^otpauth:\/\/totp\/Cat%20House:.+\?.*secret=[A-Z2-7]+/);
    // Pending: a password login is not yet asked for a code.
    expect((await request(f.t.app).post(api('/login')).send({ email, password: PASSWORD })).status).toBe(200);

    // A reset link mailed before the factor is confirmed dies with it (issue 22's security stamp).
    await request(f.t.app).post(api('/password/forgot')).send({ email });
    const resetMail = await f.smtp.waitFor(email, /password/i);

    const wrongCode = totpCode(begun.body.secret, f.clock.now + 10 * 30_000);
    const wrong = await request(f.t.app).post(api('/me/totp/confirm')).set(bearer(reg.access_token)).send({ code: wrongCode });
    expect(wrong.status).toBe(401);
    expect(wrong.body.error).toBe('invalid_credentials');

    const ok = await request(f.t.app).post(api('/me/totp/confirm')).set(bearer(reg.access_token)).send({ code: totpCode(begun.body.secret, f.clock.now) });
    expect(ok.status).toBe(200);
    expect(ok.body.recovery_codes).toHaveLength(10);
    expect(new Set(ok.body.recovery_codes).size).toBe(10);
    for (const code of ok.body.recovery_codes) expect(code).toMatch(/^[0-9a-z]{4}-[0-9a-z]{4}-[0-9a-z]{4}-[0-9a-z]{4}$/);
    // Stored hashed: no code appears in the table.
    const stored: { code_hash: Buffer }[] = await f.t.dataSource.query(`SELECT code_hash FROM auth.recovery_codes WHERE user_id = $1`, [reg.user.id]);
    expect(stored).toHaveLength(10);
    expect(stored.some((r) => r.code_hash.toString('latin1').includes(ok.body.recovery_codes[0]))).toBe(false);

    const overview = await request(f.t.app).get(api('/me/factors')).set(bearer(reg.access_token));
    expect(overview.body).toMatchObject({ factors: ['totp', 'recovery_code'], totp: { enabled: true }, passkeys: [], recovery_codes: { remaining: 10 } });
    await f.smtp.waitFor(email, /A sign-in factor was added/);
    const reset = await request(f.t.app).post(api('/password/reset')).send({ token: resetMail.token, password: 'a brand new passphrase' });
    expect(reset.body.error).toBe('link_invalid');
    expect(await auditTypes(f, reg.user.id)).toEqual(expect.arrayContaining(['factor_added', 'recovery_codes_generated']));
    // Adding another factor now needs the session to prove this one; then a second app is 409.
    expect((await request(f.t.app).post(api('/me/totp')).set(bearer(reg.access_token))).body.error).toBe('insufficient_user_authentication');
    f.clock.step();
    const stepped = await request(f.t.app).post(api('/step-up')).set(bearer(reg.access_token)).send({ totp_code: totpCode(begun.body.secret, f.clock.now) });
    expect(stepped.status).toBe(200);
    expect((await request(f.t.app).post(api('/me/totp')).set(bearer(stepped.body.access_token))).body.error).toBe('factor_exists');
  });

  it('refuses enrolment without a bearer token and a malformed code with 400', async () => {
    expect((await request(f.t.app).post(api('/me/totp'))).status).toBe(401);
    const reg = await register(f.t.app, uniqueEmail('bad-code'), PASSWORD);
    const bad = await request(f.t.app).post(api('/me/totp/confirm')).set(bearer(reg.access_token)).send({ code: '12ab56' });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toBe('invalid_request');
  });
});

describe('sign-in with a password and an authenticator app', () => {
  const f = useFactorApp();

  it('answers a correct password with an MFA challenge instead of tokens; the code completes it with amr pwd+otp', async () => {
    const { email, secret } = await userWithTotp(f);
    const first = await request(f.t.app).post(api('/login')).send({ email, password: PASSWORD });
    expect(first.status).toBe(403);
    expect(first.body).toMatchObject({ error: 'mfa_required', factors: ['totp', 'recovery_code'], expires_in: 300 });
    expect(first.body.access_token).toBeUndefined();
    expect(typeof first.body.mfa_token).toBe('string');

    const done = await request(f.t.app).post(api('/mfa/verify')).send({ mfa_token: first.body.mfa_token, totp_code: totpCode(secret, f.clock.now) });
    expect(done.status).toBe(200);
    expect(done.body.refresh_token).toEqual(expect.any(String));
    const c = claims(done.body.access_token);
    expect(c.amr).toEqual(['pwd', 'otp', 'mfa']);
    expect(c.acr).toBe('urn:cathouse:acr:mfa');
    expect(Math.abs((c.auth_time as number) - Date.now() / 1000)).toBeLessThan(60);
    // The refresh keeps the session's amr and auth_time.
    const refreshed = await request(f.t.app).post(api('/refresh')).send({ refresh_token: done.body.refresh_token });
    expect(claims(refreshed.body.access_token)).toMatchObject({ amr: ['pwd', 'otp', 'mfa'], auth_time: c.auth_time });

    // The MFA token is single use.
    const again = await request(f.t.app).post(api('/mfa/verify')).send({ mfa_token: first.body.mfa_token, totp_code: totpCode(secret, f.clock.now + 30_000) });
    expect(again.status).toBe(400);
    expect(again.body.error).toBe('invalid_mfa_token');
  });

  it('never accepts a code twice, nor a code of an earlier step; ±1 step is accepted', async () => {
    const { email, secret } = await userWithTotp(f, 'replay');
    const challenge = async () => (await request(f.t.app).post(api('/login')).send({ email, password: PASSWORD })).body.mfa_token as string;
    const code = totpCode(secret, f.clock.now);
    expect((await request(f.t.app).post(api('/mfa/verify')).send({ mfa_token: await challenge(), totp_code: code })).status).toBe(200);
    const replay = await request(f.t.app).post(api('/mfa/verify')).send({ mfa_token: await challenge(), totp_code: code });
    expect(replay.status).toBe(401);
    expect(replay.body.error).toBe('invalid_credentials');
    // The next step's code, shown by an app whose clock is 30 s ahead: accepted.
    expect((await request(f.t.app).post(api('/mfa/verify')).send({ mfa_token: await challenge(), totp_code: totpCode(secret, f.clock.now + 30_000) })).status).toBe(200);
    // Two steps ahead: outside the window.
    f.clock.step(5);
    const far = await request(f.t.app).post(api('/mfa/verify')).send({ mfa_token: await challenge(), totp_code: totpCode(secret, f.clock.now + 60_000) });
    expect(far.status).toBe(401);
  });

  it('kills the MFA token after five wrong answers and audits each', async () => {
    const { email, secret, reg } = await userWithTotp(f, 'wrong');
    const token = (await request(f.t.app).post(api('/login')).send({ email, password: PASSWORD })).body.mfa_token as string;
    for (let i = 0; i < 5; i += 1) {
      const res = await request(f.t.app).post(api('/mfa/verify')).send({ mfa_token: token, totp_code: totpCode(secret, f.clock.now + 20 * 30_000) });
      expect(res.body.error).toBe('invalid_credentials');
    }
    const dead = await request(f.t.app).post(api('/mfa/verify')).send({ mfa_token: token, totp_code: totpCode(secret, f.clock.now) });
    expect(dead.body.error).toBe('invalid_mfa_token');
    expect((await auditTypes(f, reg.user.id)).filter((t) => t === 'second_factor_failed')).toHaveLength(5);
  });

  it('counts wrong codes per account across MFA tokens: a fresh token after the limit is refused as rate_limited, even with the right code', async () => {
    const { email, secret } = await userWithTotp(f, 'spread');
    const challenge = async () => (await request(f.t.app).post(api('/login')).send({ email, password: PASSWORD })).body.mfa_token as string;
    const wrong = totpCode(secret, f.clock.now + 40 * 30_000);
    // Five wrong codes (LOGIN_MAX_FAILURES_PER_ACCOUNT) spread over three tokens, none of them used up by its own count.
    for (const [token, guesses] of [[await challenge(), 2], [await challenge(), 2], [await challenge(), 1]] as const) {
      for (let i = 0; i < guesses; i += 1) {
        expect((await request(f.t.app).post(api('/mfa/verify')).send({ mfa_token: token, totp_code: wrong })).body.error).toBe('invalid_credentials');
      }
    }
    const fresh = await challenge();
    const refused = await request(f.t.app).post(api('/mfa/verify')).send({ mfa_token: fresh, totp_code: totpCode(secret, f.clock.now) });
    expect(refused.status).toBe(429);
    expect(refused.body.error).toBe('rate_limited');
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
  });

  it('answers the /token password grant with the OAuth-shaped mfa_required error carrying the MFA token', async () => {
    const { email } = await userWithTotp(f, 'token-grant');
    const res = await request(f.t.app).post(api('/token')).type('form').send({ grant_type: 'password', username: email, password: PASSWORD });
    expect(res.status).toBe(403);
    expect(res.body).toMatchObject({ error: 'mfa_required', factors: ['totp', 'recovery_code'], expires_in: 300 });
    expect(typeof res.body.mfa_token).toBe('string');
  });

  it('refuses a body with two proofs or none (400)', async () => {
    const res = await request(f.t.app).post(api('/mfa/verify')).send({ mfa_token: 'x', totp_code: '123456', recovery_code: 'abcd-abcd-abcd-abcd' });
    expect(res.status).toBe(400);
    expect((await request(f.t.app).post(api('/mfa/verify')).send({ mfa_token: 'x' })).status).toBe(400);
  });
});

describe('recovery codes', () => {
  const f = useFactorApp();

  it('each works once, is audited and mailed; a new set invalidates the old one', async () => {
    const { email, reg, recoveryCodes, secret } = await userWithTotp(f, 'recovery');
    const challenge = async () => (await request(f.t.app).post(api('/login')).send({ email, password: PASSWORD })).body.mfa_token as string;
    // Typed in upper case without hyphens: the same code.
    const typed = recoveryCodes[0]!.replace(/-/g, '').toUpperCase();
    const used = await request(f.t.app).post(api('/mfa/verify')).send({ mfa_token: await challenge(), recovery_code: typed });
    expect(used.status).toBe(200);
    expect(claims(used.body.access_token).amr).toEqual(['pwd', 'otp', 'mfa']);
    const mail = await f.smtp.waitFor(email, /A recovery code was used/);
    expect(mail.text).toContain('9 unused codes are left');
    expect(await auditTypes(f, reg.user.id)).toContain('recovery_code_used');

    const twice = await request(f.t.app).post(api('/mfa/verify')).send({ mfa_token: await challenge(), recovery_code: recoveryCodes[0] });
    expect(twice.status).toBe(401);

    // Making a new set needs a fresh second factor: this session (the registration's) proved none.
    const stale = await request(f.t.app).post(api('/me/recovery-codes')).set(bearer(reg.access_token));
    expect(stale.status).toBe(401);
    expect(stale.body).toMatchObject({ error: 'insufficient_user_authentication', factors: ['totp', 'recovery_code'] });
    expect(stale.headers['www-authenticate']).toMatch(/error="insufficient_user_authentication"/);
    const regenerated = await request(f.t.app).post(api('/me/recovery-codes')).set(bearer(used.body.access_token));
    expect(regenerated.status).toBe(200);
    expect(regenerated.body.recovery_codes).toHaveLength(10);
    const old = await request(f.t.app).post(api('/mfa/verify')).send({ mfa_token: await challenge(), recovery_code: recoveryCodes[1] });
    expect(old.status).toBe(401);
    const fresh = await request(f.t.app).post(api('/mfa/verify')).send({ mfa_token: await challenge(), recovery_code: regenerated.body.recovery_codes[0] });
    expect(fresh.status).toBe(200);
    expect(secret).toBeTruthy();
  });
});

describe('step-up and factor removal', () => {
  const f = useFactorApp();

  it('removing the authenticator app needs a recent second factor: stale refused, a step-up with a code refreshes auth_time', async () => {
    const { email, secret } = await userWithTotp(f, 'stepup');
    const token = (await request(f.t.app).post(api('/login')).send({ email, password: PASSWORD })).body.mfa_token as string;
    const signedIn = (await request(f.t.app).post(api('/mfa/verify')).send({ mfa_token: token, totp_code: totpCode(secret, f.clock.now) })).body;
    f.clock.step();
    const sid = claims(signedIn.access_token).sid as string;
    await ageSession(f, sid);
    const stale = await request(f.t.app).delete(api('/me/totp')).set(bearer(signedIn.access_token));
    expect(stale.status).toBe(401);
    expect(stale.body.error).toBe('insufficient_user_authentication');

    const stepped = await request(f.t.app).post(api('/step-up')).set(bearer(signedIn.access_token)).send({ totp_code: totpCode(secret, f.clock.now) });
    expect(stepped.status).toBe(200);
    const c = claims(stepped.body.access_token);
    expect(c.sid).toBe(sid);
    expect(c.auth_time as number).toBeGreaterThan((claims(signedIn.access_token).auth_time as number) - 1);
    expect(Math.abs((c.auth_time as number) - Date.now() / 1000)).toBeLessThan(60);

    const removed = await request(f.t.app).delete(api('/me/totp')).set(bearer(stepped.body.access_token));
    expect(removed.status).toBe(204);
    // The last factor went: its recovery codes with it, and the password alone signs in again.
    const overview = await request(f.t.app).get(api('/me/factors')).set(bearer(stepped.body.access_token));
    expect(overview.body).toMatchObject({ factors: [], recovery_codes: { remaining: 0 } });
    expect((await request(f.t.app).post(api('/login')).send({ email, password: PASSWORD })).status).toBe(200);
    await f.smtp.waitFor(email, /A sign-in factor was removed/);
  });

  it('a step-up with a wrong code is refused and audited', async () => {
    const { reg, secret } = await userWithTotp(f, 'stepup-wrong');
    const res = await request(f.t.app).post(api('/step-up')).set(bearer(reg.access_token)).send({ totp_code: totpCode(secret, f.clock.now + 20 * 30_000) });
    expect(res.status).toBe(401);
    expect(await auditTypes(f, reg.user.id)).toContain('second_factor_failed');
  });

  it('an account without factors steps up with its password; adding a first factor to a stale session needs it', async () => {
    const reg = await register(f.t.app, uniqueEmail('pwd-stepup'), PASSWORD);
    await ageSession(f, claims(reg.access_token).sid as string);
    const stale = await request(f.t.app).post(api('/me/totp')).set(bearer(reg.access_token));
    expect(stale.status).toBe(401);
    expect(stale.body).toMatchObject({ error: 'insufficient_user_authentication', factors: ['password'] });
    const stepped = await request(f.t.app).post(api('/step-up')).set(bearer(reg.access_token)).send({ password: PASSWORD });
    expect(stepped.status).toBe(200);
    expect(claims(stepped.body.access_token).amr).toEqual(['pwd']);
    expect((await request(f.t.app).post(api('/me/totp')).set(bearer(stepped.body.access_token))).status).toBe(201);
  });

  it('an admin resets the factors of a user who lost them: audited with the admin as actor, mailed, sessions ended', async () => {
    const { email, reg } = await userWithTotp(f, 'lost');
    const admin = await register(f.t.app, uniqueEmail('admin'), PASSWORD);
    await f.t.dataSource.query(`UPDATE auth.users SET role = 'admin' WHERE id = $1`, [admin.user.id]);
    const res = await request(f.t.app).post(api(`/users/${reg.user.id}/factors/reset`)).set(bearer(admin.access_token));
    expect(res.status).toBe(200);
    expect(res.body.sessions_ended).toBeGreaterThanOrEqual(1);
    const [event] = await f.t.dataSource.query(`SELECT actor_id FROM auth.audit_events WHERE user_id = $1 AND type = 'factors_reset'`, [reg.user.id]);
    expect(event.actor_id).toBe(admin.user.id);
    await f.smtp.waitFor(email, /second factors were reset/);
    expect((await request(f.t.app).post(api('/login')).send({ email, password: PASSWORD })).status).toBe(200);
    // A player may not.
    const player = await register(f.t.app, uniqueEmail('player'), PASSWORD);
    expect((await request(f.t.app).post(api(`/users/${reg.user.id}/factors/reset`)).set(bearer(player.access_token))).status).toBe(403);
  });
});
