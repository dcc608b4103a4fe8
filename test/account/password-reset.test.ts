import { createHash } from 'node:crypto';
import request from 'supertest';
import { Client as PgClient } from 'pg';
import { FORGOT_PASSWORD_ACCEPTED } from '../../src/http/routes/account';
import { bearer, register, uniqueEmail } from '../auth/helpers';
import { pollUntil } from '../support/poll';
import { api, APP_URL, auditTypes, login, PASSWORD, useMailApp } from './support';

const NEW_PASSWORD = 'a brand new passphrase';

describe('password reset', () => {
  const m = useMailApp({ PASSWORD_RESET_TTL_SECONDS: '600' });

  /** The n-th reset mail to `email` (1-based), once it has arrived. */
  const resetMail = (email: string, n: number) =>
    pollUntil(`reset mail ${n} to ${email}`, () => m.smtp.mailsTo(email).filter((x) => /Reset your password/.test(x.subject))[n - 1]);

  const forgot = (email: string, ip = '203.0.113.7') =>
    request(m.t.app).post(api('/password/forgot')).set('x-forwarded-for', ip).send({ email });

  it('forgot answers 202 with the same body for a known and an unknown address, and mails only the known one', async () => {
    const known = uniqueEmail('known');
    await register(m.t.app, known);
    const unknown = uniqueEmail('nobody');
    const a = await forgot(known);
    const b = await forgot(unknown);
    expect([a.status, b.status]).toEqual([202, 202]);
    expect(a.body).toEqual(FORGOT_PASSWORD_ACCEPTED);
    expect(b.body).toEqual(a.body);
    expect(Object.keys(b.headers).sort()).toEqual(Object.keys(a.headers).sort());
    const mail = await m.smtp.waitFor(known, /Reset your password/);
    expect(mail.link).toBe(`${APP_URL}/reset-password#token=${mail.token}`);
    expect(mail.html).toContain(`href="${mail.link}"`);
    expect(mail.text).toMatch(/valid for 10 minutes/);
    expect(await m.t.dataSource.query(`SELECT 1 FROM auth.mail_outbox WHERE recipient = $1`, [unknown])).toEqual([]);
  });

  it('known and unknown addresses take the same code path: the same SQL statements, in the same order', async () => {
    const known = uniqueEmail('path-known');
    await register(m.t.app, known);
    const record = async (email: string) => {
      const statements: string[] = [];
      // A pass-through spy on node-postgres itself (TypeORM's query runners and the service's own
      // statements both end there): every statement still runs on the real database; only its text is noted.
      const original = PgClient.prototype.query;
      const spy = jest.spyOn(PgClient.prototype, 'query').mockImplementation(function (this: PgClient, ...args: unknown[]) {
        const text = typeof args[0] === 'string' ? args[0] : String((args[0] as { text?: unknown } | undefined)?.text ?? '');
        // Both paths nudge the background mail sender after their commit; its own statements (claiming and
        // settling outbox rows) run beside the request, land in the window or not by chance, and are not the
        // request's code path.
        if (!/^\s*UPDATE auth\.mail_outbox\b/.test(text)) statements.push(text.replace(/\s+/g, ' '));
        return (original as (...a: unknown[]) => unknown).apply(this, args);
      } as never);
      try {
        expect((await forgot(email)).status).toBe(202);
      } finally {
        spy.mockRestore();
      }
      return statements;
    };
    const knownPath = await record(known);
    const unknownPath = await record(uniqueEmail('path-unknown'));
    expect(knownPath.length).toBeGreaterThan(0);
    expect(unknownPath).toEqual(knownPath);
  });

  it('both are audited, an unknown address only as a keyed hash linked to nobody (so both commit a write)', async () => {
    const known = uniqueEmail('audit-known');
    const reg = await register(m.t.app, known);
    const unknown = uniqueEmail('audit-unknown');
    await forgot(known);
    await forgot(unknown);
    const rows: { user_id: string | null; detail: Record<string, unknown> }[] = await m.t.dataSource.query(
      `SELECT user_id, detail FROM auth.audit_events WHERE type = 'password_reset_requested' ORDER BY id DESC LIMIT 2`,
    );
    expect(rows[1]).toEqual({ user_id: reg.user.id, detail: {} });
    expect(rows[0]!.user_id).toBeNull();
    expect(rows[0]!.detail.email_hash).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(JSON.stringify(rows)).not.toContain(unknown);
  });

  it('reset sets the password, ends every session, marks the email verified, and sends a notice', async () => {
    const email = uniqueEmail('reset');
    const first = await register(m.t.app, email);
    const second = (await login(m, email)).body;
    await forgot(email);
    const { token } = await m.smtp.waitFor(email, /Reset your password/);
    const res = await request(m.t.app).post(api('/password/reset')).send({ token, password: NEW_PASSWORD });
    expect(res.status).toBe(204);
    for (const session of [first, second]) {
      expect((await request(m.t.app).post(api('/refresh')).send({ refresh_token: session.refresh_token })).body.error).toBe('invalid_grant');
      expect((await request(m.t.app).get(api('/me')).set(bearer(session.access_token))).status).toBe(401);
    }
    expect((await login(m, email)).body.error).toBe('invalid_credentials');
    const fresh = await login(m, email, NEW_PASSWORD);
    expect(fresh.status).toBe(200);
    expect(fresh.body.user.email_verified).toBe(true);
    const notice = await m.smtp.waitFor(email, /Your password was reset/);
    expect(notice.link).toBeUndefined();
    expect(await auditTypes(m, first.user.id)).toEqual(expect.arrayContaining(['password_reset_requested', 'password_reset_completed']));
  });

  it('tokens carry 256 random bits and only their SHA-256 is stored', async () => {
    const email = uniqueEmail('hashed');
    const reg = await register(m.t.app, email);
    await forgot(email);
    const { token } = await m.smtp.waitFor(email, /Reset your password/);
    expect(Buffer.from(token!, 'base64url')).toHaveLength(32);
    const rows: { token_hash: Buffer; row: string }[] = await m.t.dataSource.query(
      `SELECT token_hash, t::text AS row FROM auth.account_tokens t WHERE user_id = $1 AND purpose = 'reset_password'`,
      [reg.user.id],
    );
    expect(rows[0]!.token_hash.equals(createHash('sha256').update(token!).digest())).toBe(true);
    const dump = JSON.stringify(await m.t.dataSource.query(`SELECT t::text FROM auth.account_tokens t UNION ALL SELECT o::text FROM auth.mail_outbox o`));
    expect(dump).not.toContain(token);
  });

  it('a token works once; a used, expired or superseded token is refused', async () => {
    const email = uniqueEmail('single');
    const reg = await register(m.t.app, email);
    await forgot(email);
    const older = await m.smtp.waitFor(email, /Reset your password/);
    await forgot(email);
    const newer = await resetMail(email, 2);
    expect(newer.token).not.toBe(older.token);
    const superseded = await request(m.t.app).post(api('/password/reset')).send({ token: older.token, password: NEW_PASSWORD });
    expect(superseded.body.error).toBe('link_invalid');
    expect((await request(m.t.app).post(api('/password/reset')).send({ token: newer.token, password: NEW_PASSWORD })).status).toBe(204);
    const reused = await request(m.t.app).post(api('/password/reset')).send({ token: newer.token, password: 'yet another passphrase' });
    expect(reused.body.error).toBe('link_invalid');

    await forgot(email);
    const { token } = await resetMail(email, 3);
    await m.t.dataSource.query(`UPDATE auth.account_tokens SET expires_at = now() - interval '1 second' WHERE user_id = $1 AND used_at IS NULL`, [reg.user.id]);
    expect((await request(m.t.app).post(api('/password/reset')).send({ token, password: NEW_PASSWORD })).body.error).toBe('link_invalid');
  });

  it('a weak new password is refused without spending the token', async () => {
    const email = uniqueEmail('weak');
    await register(m.t.app, email);
    await forgot(email);
    const { token } = await m.smtp.waitFor(email, /Reset your password/);
    expect((await request(m.t.app).post(api('/password/reset')).send({ token, password: 'short' })).body.error).toBe('weak_password');
    expect((await request(m.t.app).post(api('/password/reset')).send({ token, password: NEW_PASSWORD })).status).toBe(204);
  });

  it('a deactivated account gets no mail (the answer is the same 202)', async () => {
    const email = uniqueEmail('inactive');
    const reg = await register(m.t.app, email);
    await m.t.dataSource.query(`UPDATE auth.users SET is_active = false WHERE id = $1`, [reg.user.id]);
    expect((await forgot(email)).body).toEqual(FORGOT_PASSWORD_ACCEPTED);
    await m.t.mailSender!.drain();
    expect(m.smtp.mailsTo(email).filter((x) => /Reset/.test(x.subject))).toEqual([]);
  });

  it('unchanged for everyone else: the old password still works until a reset is completed', async () => {
    const email = uniqueEmail('untouched');
    await register(m.t.app, email);
    await forgot(email);
    await m.smtp.waitFor(email, /Reset your password/);
    expect((await login(m, email, PASSWORD)).status).toBe(200);
  });
});
