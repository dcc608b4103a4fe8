import { randomUUID } from 'node:crypto';
import { Client, type DatabaseError } from 'pg';
import type { DataSource } from 'typeorm';
import { pruneAuditEvents } from '../../src/auth/audit/event-pruning';
import { createRuntimeDataSource } from '../../src/db/runtime-data-source';
import { insertPastEvents } from '../support/audit-history';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { asServiceRole, testConfig } from '../support/env';

/** PostgreSQL's insufficient_privilege. */
const INSUFFICIENT_PRIVILEGE = '42501';

/**
 * The audit log as the runtime role sees it (issue 22 M6, issue 31 item 2): it may append and read
 * events, and remove them only through auth_audit.maintain, which drops whole months older than the
 * retention and never an event younger than 30 days.
 */
describe('the audit log is append-only for the runtime role; retention drops whole months', () => {
  let db: TestDatabase;
  let admin: Client;
  let runtime: Client;
  let runtimeDs: DataSource;

  const code = (p: Promise<unknown>) => p.then(() => 'ok', (e: DatabaseError) => e.code);
  const count = async (where: string, params: unknown[] = []) =>
    (await admin.query(`SELECT count(*)::int AS n FROM auth.audit_events WHERE ${where}`, params)).rows[0].n as number;
  const partitions = async () =>
    (await admin.query(`SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'auth.audit_events'::regclass ORDER BY 1`)).rows.map(
      (r) => r.relname as string,
    );

  beforeAll(async () => {
    db = await createTestDatabase();
    admin = new Client({ connectionString: db.url });
    await admin.connect();
    runtime = new Client({ connectionString: asServiceRole(db.url, 'auth') });
    await runtime.connect();
    runtimeDs = createRuntimeDataSource(asServiceRole(db.url, 'auth'), testConfig().db);
    await runtimeDs.initialize();
  });
  afterAll(async () => {
    await runtimeDs.destroy();
    await runtime.end();
    await admin.end();
    await db.drop();
  });

  it('the runtime role appends an event and the database gives it its id and time', async () => {
    const { rows } = await runtime.query(`INSERT INTO auth.audit_events (type, detail) VALUES ('logout', '{"n": 1}') RETURNING id, occurred_at = now() AS now`);
    expect(rows).toEqual([{ id: expect.stringMatching(/^[1-9]\d*$/), now: true }]);
    const { rows: next } = await runtime.query(`INSERT INTO auth.audit_events (type) VALUES ('logout') RETURNING id`);
    expect(BigInt(next[0].id)).toBeGreaterThan(BigInt(rows[0].id));
  });

  it('refuses with 42501 a DELETE of a fresh event, an UPDATE, a TRUNCATE, and an INSERT with its own id (OVERRIDING SYSTEM VALUE) or time', async () => {
    const { rows } = await runtime.query(`INSERT INTO auth.audit_events (type) VALUES ('login_failed') RETURNING id`);
    const id = rows[0].id as string;
    expect(await code(runtime.query(`DELETE FROM auth.audit_events WHERE id = $1`, [id]))).toBe(INSUFFICIENT_PRIVILEGE);
    expect(await code(runtime.query(`UPDATE auth.audit_events SET detail = '{"x": 1}' WHERE id = $1`, [id]))).toBe(INSUFFICIENT_PRIVILEGE);
    expect(await code(runtime.query(`TRUNCATE auth.audit_events`))).toBe(INSUFFICIENT_PRIVILEGE);
    // The rewrite of the finding: delete an event, then insert it again with the same id and time.
    expect(
      await code(runtime.query(`INSERT INTO auth.audit_events (id, occurred_at, type) OVERRIDING SYSTEM VALUE VALUES ($1, now(), 'logout')`, [id])),
    ).toBe(INSUFFICIENT_PRIVILEGE);
    expect(await code(runtime.query(`INSERT INTO auth.audit_events (occurred_at, type) VALUES (now() - interval '1 year', 'logout')`))).toBe(
      INSUFFICIENT_PRIVILEGE,
    );
    expect(await count('id = $1 AND type = $2', [id, 'login_failed'])).toBe(1);
  });

  it('reaches no partition, no sequence and no partition function directly (42501)', async () => {
    const [month] = (await partitions()).filter((p) => p !== 'audit_events_default');
    expect(await code(runtime.query(`DELETE FROM auth_audit.${month}`))).toBe(INSUFFICIENT_PRIVILEGE);
    expect(await code(runtime.query(`SELECT * FROM auth_audit.audit_events_default`))).toBe(INSUFFICIENT_PRIVILEGE);
    expect(await code(runtime.query(`SELECT setval('auth_audit.audit_event_id_seq', 1)`))).toBe(INSUFFICIENT_PRIVILEGE);
    expect(await code(runtime.query(`SELECT auth_audit.create_partition('2001-01-01', 'auth.audit_events')`))).toBe(INSUFFICIENT_PRIVILEGE);
    // Even the owner may not name an id or a time: the trigger refuses it.
    expect(await code(admin.query(`INSERT INTO auth.audit_events (id, type) VALUES (1, 'logout')`))).toBe(INSUFFICIENT_PRIVILEGE);
  });

  it('the other services cannot call the retention function (no USAGE on auth_audit)', async () => {
    const catalog = new Client({ connectionString: asServiceRole(db.url, 'catalog') });
    await catalog.connect();
    try {
      expect(await code(catalog.query(`SELECT * FROM auth_audit.maintain(30)`))).toBe(INSUFFICIENT_PRIVILEGE);
    } finally {
      await catalog.end();
    }
  });

  it('pruning, as the runtime role, drops the months older than the retention and the strays of the DEFAULT partition, and keeps younger events', async () => {
    const userId = randomUUID();
    // 200 to 150 days old in partitions of their own; 120 days old without one (the DEFAULT
    // partition); 20 days old (inside any retention the database allows); today's.
    await insertPastEvents(
      db.url,
      `SELECT now() - make_interval(days => 200 - g) AS occurred_at, 'login_failed'::text AS type, $1::uuid AS user_id FROM generate_series(0, 50) g`,
      [userId],
    );
    await insertPastEvents(db.url, `SELECT now() - interval '120 days' AS occurred_at, 'logout'::text AS type, $1::uuid AS user_id`, [userId], { partitions: false });
    await insertPastEvents(db.url, `SELECT now() - interval '20 days' AS occurred_at, 'logout'::text AS type, $1::uuid AS user_id`, [userId]);
    await runtime.query(`INSERT INTO auth.audit_events (type, user_id) VALUES ('login_succeeded', $1)`, [userId]);
    const monthsBefore = await partitions();
    expect(await count(`user_id = $1`, [userId])).toBe(54);
    expect((await admin.query(`SELECT count(*)::int AS n FROM auth_audit.audit_events_default`)).rows[0].n).toBe(1);

    const result = await pruneAuditEvents(runtimeDs, { retentionDays: 90 });

    expect(result).toMatchObject({ deleted: 1, skipped: 0 });
    expect(result.dropped).toBeGreaterThanOrEqual(2);
    expect(await count(`user_id = $1 AND occurred_at < now() - interval '90 days'`, [userId])).toBe(0);
    expect(await count(`user_id = $1`, [userId])).toBe(2);
    expect((await partitions()).length).toBe(monthsBefore.length - result.dropped);
    // Nothing left to do: a second run drops nothing.
    expect(await pruneAuditEvents(runtimeDs, { retentionDays: 90 })).toEqual({ created: 0, dropped: 0, deleted: 0, skipped: 0 });
  });

  it('asked for a retention under 30 days, the database still keeps the last 30 days', async () => {
    const userId = randomUUID();
    await insertPastEvents(db.url, `SELECT now() - interval '29 days' AS occurred_at, 'logout'::text AS type, $1::uuid AS user_id`, [userId]);
    await insertPastEvents(db.url, `SELECT now() - interval '29 days' AS occurred_at, 'logout'::text AS type, $1::uuid AS user_id`, [userId], { partitions: false });
    await runtime.query(`SELECT * FROM auth_audit.maintain(1)`);
    expect(await count(`user_id = $1`, [userId])).toBe(2);
  });

  it('keeps this month and the next three as partitions, creating any that is missing', async () => {
    const month = (await admin.query(`SELECT 'audit_events_' || to_char(now() AT TIME ZONE 'UTC' + interval '2 months', 'YYYY_MM') AS name`)).rows[0].name as string;
    await admin.query(`DROP TABLE auth_audit.${month}`);
    expect(await partitions()).not.toContain(month);
    expect((await pruneAuditEvents(runtimeDs, { retentionDays: 90 })).created).toBe(1);
    expect(await partitions()).toContain(month);
  });
});
