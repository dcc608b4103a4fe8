import jwt from 'jsonwebtoken';
import request from 'supertest';
import type { DataSource } from 'typeorm';
import { bearer, register, registerDeveloper, uniqueEmail } from '../auth/helpers';
import { ageSession, api, PASSWORD, totpCode, useFactorApp, userWithTotp } from '../factors/support';
import { startTestApp, type TestApp } from '../support/app';
import { createTestDatabase, type TestDatabase } from '../support/database';

/**
 * Issue 29's security events for issue 26's factors and issue 28's personal access tokens:
 * factor.added / factor.removed (factor_id, factor_type) and pat.revoked (token_id), written in
 * the change's transaction, never with a secret or an address. Passkeys: test/factors/passkeys.test.ts.
 */
const claims = (token: string) => jwt.decode(token) as Record<string, unknown>;

interface Recorded {
  type: string;
  data: Record<string, unknown>;
}

async function eventsOf(dataSource: DataSource, userId: string): Promise<Recorded[]> {
  return dataSource.query(`SELECT type, data FROM auth.security_events WHERE subject_key = $1 AND type LIKE ANY ('{factor.%,pat.%}') ORDER BY id`, [`user:${userId}`]);
}

describe('factor changes record factor.added / factor.removed', () => {
  const f = useFactorApp();
  const events = (userId: string) => eventsOf(f.t.dataSource, userId);
  const totpIdOf = async (userId: string) => ((await f.t.dataSource.query(`SELECT id FROM auth.totp_factors WHERE user_id = $1`, [userId])) as { id: string }[])[0]?.id;

  it('confirming an authenticator app adds it and its recovery codes; a wrong code adds nothing; a new set is added again', async () => {
    const email = uniqueEmail('ev-totp');
    const reg = await register(f.t.app, email, PASSWORD);
    const begun = await request(f.t.app).post(api('/me/totp')).set(bearer(reg.access_token)).expect(201);
    await request(f.t.app).post(api('/me/totp/confirm')).set(bearer(reg.access_token)).send({ code: totpCode(begun.body.secret, f.clock.now + 20 * 30_000) }).expect(401);
    expect(await events(reg.user.id)).toEqual([]);
    await request(f.t.app).post(api('/me/totp/confirm')).set(bearer(reg.access_token)).send({ code: totpCode(begun.body.secret, f.clock.now) }).expect(200);
    f.clock.step();
    const totpId = await totpIdOf(reg.user.id);
    expect(totpId).toEqual(expect.any(String));
    expect(await events(reg.user.id)).toEqual([
      { type: 'factor.added', data: { factor_id: totpId, factor_type: 'totp', initiated_by: 'user' } },
      { type: 'factor.added', data: { factor_id: 'recovery_codes', factor_type: 'recovery_codes', initiated_by: 'user' } },
    ]);
    expect(JSON.stringify(await events(reg.user.id))).not.toMatch(/@/);

    // A new set of recovery codes (after a step-up with the app) replaces the old: added again.
    const stepped = await request(f.t.app).post(api('/step-up')).set(bearer(reg.access_token)).send({ totp_code: totpCode(begun.body.secret, f.clock.now) }).expect(200);
    f.clock.step();
    await request(f.t.app).post(api('/me/recovery-codes')).set(bearer(stepped.body.access_token)).expect(200);
    expect((await events(reg.user.id)).slice(2)).toEqual([{ type: 'factor.added', data: { factor_id: 'recovery_codes', factor_type: 'recovery_codes', initiated_by: 'user' } }]);
  });

  it('removing the last factor removes it and its recovery codes; a refused removal records nothing', async () => {
    const { reg, secret } = await userWithTotp(f, 'ev-remove');
    const totpId = await totpIdOf(reg.user.id);
    await ageSession(f, claims(reg.access_token).sid as string);
    await request(f.t.app).delete(api('/me/totp')).set(bearer(reg.access_token)).expect(401);
    expect((await events(reg.user.id)).map((e) => e.type)).toEqual(['factor.added', 'factor.added']);
    const stepped = await request(f.t.app).post(api('/step-up')).set(bearer(reg.access_token)).send({ totp_code: totpCode(secret, f.clock.now) }).expect(200);
    f.clock.step();
    await request(f.t.app).delete(api('/me/totp')).set(bearer(stepped.body.access_token)).expect(204);
    expect((await events(reg.user.id)).slice(2)).toEqual([
      { type: 'factor.removed', data: { factor_id: totpId, factor_type: 'totp', initiated_by: 'user' } },
      { type: 'factor.removed', data: { factor_id: 'recovery_codes', factor_type: 'recovery_codes', initiated_by: 'user' } },
    ]);
  });

  it("an admin's reset removes each factor, initiated by the admin", async () => {
    const { reg } = await userWithTotp(f, 'ev-reset');
    const totpId = await totpIdOf(reg.user.id);
    // A passkey as registration stores it (the ceremony itself is test/factors/passkeys.test.ts's).
    const [passkey] = await f.t.dataSource.query(
      `INSERT INTO auth.webauthn_credentials (user_id, credential_id, public_key, device_type, name) VALUES ($1, $2, '\\x00', 'singleDevice', 'Key') RETURNING id`,
      [reg.user.id, `cred-${reg.user.id}`],
    );
    const admin = await register(f.t.app, uniqueEmail('ev-admin'), PASSWORD);
    await f.t.dataSource.query(`UPDATE auth.users SET role = 'admin' WHERE id = $1`, [admin.user.id]);
    await request(f.t.app).post(api(`/users/${reg.user.id}/factors/reset`)).set(bearer(admin.access_token)).expect(200);
    expect((await events(reg.user.id)).slice(2)).toEqual([
      { type: 'factor.removed', data: { factor_id: totpId, factor_type: 'totp', initiated_by: 'admin' } },
      { type: 'factor.removed', data: { factor_id: passkey.id, factor_type: 'passkey', initiated_by: 'admin' } },
      { type: 'factor.removed', data: { factor_id: 'recovery_codes', factor_type: 'recovery_codes', initiated_by: 'admin' } },
    ]);
    expect(await events(admin.user.id)).toEqual([]);
  });
});

describe('personal access token revocation records pat.revoked', () => {
  let db: TestDatabase;
  let t: TestApp;
  beforeAll(async () => {
    db = await createTestDatabase();
    t = await startTestApp(db.url, {});
  });
  afterAll(async () => {
    await t?.close();
    await db?.drop();
  });

  it('one token, then all live ones: one event per token revoked, none for a repeated revocation', async () => {
    const dev = await registerDeveloper(t, uniqueEmail('ev-pat'), PASSWORD);
    const expiresAt = new Date(Date.now() + 7 * 86_400_000).toISOString();
    const make = async (name: string) =>
      (await request(t.app).post(api('/me/tokens')).set(bearer(dev.access_token)).send({ name, scopes: ['cats:read'], expires_at: expiresAt }).expect(201)).body.id as string;
    const [a, b, c] = [await make('a'), await make('b'), await make('c')];
    expect(await eventsOf(t.dataSource, dev.user.id)).toEqual([]);

    await request(t.app).delete(api(`/me/tokens/${a}`)).set(bearer(dev.access_token)).expect(204);
    await request(t.app).delete(api(`/me/tokens/${a}`)).set(bearer(dev.access_token)).expect(204);
    expect(await eventsOf(t.dataSource, dev.user.id)).toEqual([{ type: 'pat.revoked', data: { token_id: a, initiated_by: 'user' } }]);

    await request(t.app).delete(api('/me/tokens')).set(bearer(dev.access_token)).expect(200);
    const all = await eventsOf(t.dataSource, dev.user.id);
    expect(all.slice(1).map((e) => e.type)).toEqual(['pat.revoked', 'pat.revoked']);
    expect(all.slice(1).map((e) => e.data.token_id).sort()).toEqual([b, c].sort());
    expect(all.every((e) => e.data.initiated_by === 'user')).toBe(true);
  });
});
