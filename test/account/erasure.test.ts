import request from 'supertest';
import { pruneAccountTokens } from '../../src/auth/accounts/token-pruning';
import { pruneMailOutbox } from '../../src/auth/mail/outbox-pruning';
import { bearer } from '../auth/helpers';
import { api, PASSWORD, useMailApp } from './support';

let counter = 0;
/** Addresses under a real top-level domain: this file runs with the default EMAIL_REFUSED_TLDS, which refuses .example. */
const address = (label: string) => `${label}-${++counter}-${Date.now().toString(36)}@cathouse-mail.org`;

/**
 * Issue 22 M8 and M9: a deleted account keeps no address (email NULL, which nothing can collide
 * with), reserved top-level domains are refused, every row that held one of the user's addresses
 * loses it at deletion, and link tokens and mail are pruned on a schedule.
 */
describe('erasure and reserved addresses', () => {
  // The default list (test/support/env.ts narrows it for the other files).
  const m = useMailApp({ EMAIL_REFUSED_TLDS: undefined as unknown as string });

  const registerAt = async (email: string) => {
    const res = await request(m.t.app).post(api('/register')).send({ email, password: PASSWORD });
    expect(res.status).toBe(201);
    return res.body as { access_token: string; user: { id: string } };
  };

  it('M8: deleted-<victim id>@deleted.invalid cannot be registered, and the victim\'s DELETE me works (the row keeps no address)', async () => {
    const victim = await registerAt(address('victim'));
    const squat = await request(m.t.app).post(api('/register')).send({ email: `deleted-${victim.user.id}@deleted.invalid`, password: PASSWORD });
    expect(squat.status).toBe(400);
    expect(squat.body).toMatchObject({ error: 'email_not_allowed', invalid_params: [{ name: 'email' }] });
    expect((await request(m.t.app).delete(api('/me')).set(bearer(victim.access_token)).send({ password: PASSWORD })).status).toBe(204);
    const other = await registerAt(address('other-victim'));
    expect((await request(m.t.app).delete(api('/me')).set(bearer(other.access_token)).send({ password: PASSWORD })).status).toBe(204);
    expect(await m.t.dataSource.query(`SELECT email FROM auth.users WHERE id = ANY($1)`, [[victim.user.id, other.user.id]])).toEqual([{ email: null }, { email: null }]);
  });

  it.each(['mia@cathouse.invalid', 'mia@cats.test', 'mia@app.localhost', 'mia@cathouse.example', 'MIA@Cathouse.Example'])(
    'M8: registration and email change refuse %s (reserved top-level domain)',
    async (email) => {
      const reg = await request(m.t.app).post(api('/register')).send({ email, password: PASSWORD });
      expect({ status: reg.status, error: reg.body.error }).toEqual({ status: 400, error: 'email_not_allowed' });
      const user = await registerAt(address('changer'));
      const change = await request(m.t.app).post(api('/email/change')).set(bearer(user.access_token)).send({ new_email: email, password: PASSWORD });
      expect({ status: change.status, error: change.body.error, param: change.body.invalid_params?.[0]?.name }).toEqual({ status: 400, error: 'email_not_allowed', param: 'new_email' });
    },
  );

  it('M9: after DELETE me no row of any table holds an address the user ever had', async () => {
    const first = address('first');
    const second = address('second');
    const pending = address('pending');
    const user = await registerAt(first);
    // Moves to a second address, asks to move to a third (never confirmed), asks for a reset link.
    await request(m.t.app).post(api('/email/change')).set(bearer(user.access_token)).send({ new_email: second, password: PASSWORD });
    const confirm = await m.smtp.waitFor(second, /Confirm your new email/);
    expect((await request(m.t.app).post(api('/verify-email')).send({ token: confirm.token })).status).toBe(200);
    await request(m.t.app).post(api('/email/change')).set(bearer(user.access_token)).send({ new_email: pending, password: PASSWORD });
    await m.smtp.waitFor(pending, /Confirm your new email/);
    await request(m.t.app).post(api('/password/forgot')).send({ email: second });
    await m.smtp.waitFor(second, /Reset your password/);
    expect((await everyRowMentioning([first, second, pending])).length).toBeGreaterThan(0);

    expect((await request(m.t.app).delete(api('/me')).set(bearer(user.access_token)).send({ password: PASSWORD })).status).toBe(204);
    expect(await everyRowMentioning([first, second, pending])).toEqual([]);
  });

  /** Every (table, column) of every schema whose text holds one of `needles`, case-insensitively. */
  async function everyRowMentioning(needles: string[]): Promise<string[]> {
    const columns: { schema: string; table: string; column: string }[] = await m.t.dataSource.query(
      `SELECT c.table_schema AS schema, c.table_name AS table, c.column_name AS column
         FROM information_schema.columns c JOIN information_schema.tables t USING (table_schema, table_name)
        WHERE t.table_type = 'BASE TABLE' AND c.table_schema NOT IN ('pg_catalog', 'information_schema')
          AND c.data_type IN ('text', 'character varying', 'jsonb', 'json', 'ARRAY', 'bytea', 'inet')`,
    );
    const found: string[] = [];
    for (const { schema, table, column } of columns) {
      const text = `convert_from(convert_to(${`"${column}"`}::text, 'UTF8'), 'UTF8')`;
      const rows = await m.t.dataSource.query(`SELECT 1 FROM "${schema}"."${table}" WHERE ${text} ILIKE ANY($1) LIMIT 1`, [needles.map((n) => `%${n}%`)]);
      if (rows.length) found.push(`${schema}.${table}.${column}`);
    }
    return found;
  }

  it('M9: spent or expired link tokens are pruned a day later, in batches; live ones stay', async () => {
    const user = await registerAt(address('tokens'));
    const insert = (usedAgo: string | null, expiresIn: string) =>
      m.t.dataSource.query(
        `INSERT INTO auth.account_tokens (user_id, purpose, token_hash, new_email, expires_at, used_at)
         VALUES ($1, 'change_email', decode(md5(random()::text) || md5(random()::text), 'hex'), 'x@cathouse-mail.org', now() + $2::interval, CASE WHEN $3::interval IS NULL THEN NULL ELSE now() - $3::interval END) RETURNING id`,
        [user.user.id, expiresIn, usedAgo],
      );
    const old: string[] = [];
    for (let i = 0; i < 5; i++) old.push((await insert('25 hours', '1 hour'))[0].id); // spent more than a day ago
    const expired = (await insert(null, '-25 hours'))[0].id; // expired more than a day ago, never used
    const recent = (await insert('1 hour', '1 hour'))[0].id; // spent an hour ago: kept for now
    const live = (await insert(null, '1 hour'))[0].id;
    const deleted = await pruneAccountTokens(m.t.dataSource, { retentionSeconds: 86_400, batchSize: 2 });
    expect(deleted).toBeGreaterThanOrEqual(6);
    const left: { id: string }[] = await m.t.dataSource.query(`SELECT id FROM auth.account_tokens WHERE id = ANY($1)`, [[...old, expired, recent, live]]);
    expect(left.map((r) => r.id).sort()).toEqual([recent, live].sort());
  });

  it('M9: sent and failed mail is pruned after MAIL_RETENTION_DAYS; pending mail stays; sent mail has no recipient', async () => {
    const rows = async (status: string, age: string) =>
      (
        await m.t.dataSource.query(
          `INSERT INTO auth.mail_outbox (template, recipient, status, created_at) VALUES ('password_changed', CASE WHEN $1 = 'sent' THEN NULL ELSE 'y@cathouse-mail.org' END, $1, now() - $2::interval) RETURNING id`,
          [status, age],
        )
      )[0].id as string;
    const gone = [await rows('sent', '15 days'), await rows('failed', '15 days'), await rows('sent', '30 days')];
    const kept = [await rows('pending', '15 days'), await rows('sent', '1 day'), await rows('failed', '13 days')];
    await pruneMailOutbox(m.t.dataSource, { retentionDays: 14, batchSize: 1 });
    const left: { id: string }[] = await m.t.dataSource.query(`SELECT id FROM auth.mail_outbox WHERE id = ANY($1)`, [[...gone, ...kept]]);
    expect(left.map((r) => r.id).sort()).toEqual([...kept].sort());
  });
});
