import { readdirSync } from 'node:fs';
import path from 'node:path';
import { Client } from 'pg';
import { migrate, type CliResult } from '../migrator/support/cli';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { asServiceRole } from '../support/env';
import { sleep } from './support/service-process';
import { report } from './support/traffic';

/*
 * The migration that partitions auth.audit_events (AuditEventsPartitioned), on a table of a million
 * events over 90 days, through the real CLI, while the runtime role keeps writing events: the first
 * run is killed (SIGKILL) in the middle of its batched copy, the second continues from where it
 * stopped and swaps the tables. Every event, old or written during the runs, is there once with its
 * id and time; the writer never saw an error. (Slow: about a minute; kept out of `npm test`.)
 */

const ROWS = 1_000_000;

/**
 * The migration just before AuditEventsPartitioned (whatever main has put there since: the policy
 * grants on every table of the head, so the test stops at the step before the conversion, not at
 * the audit log's own previous migration, whose tables may lack ones the policy names).
 */
function migrationBeforeConversion(): string {
  const files = readdirSync(path.join(__dirname, '../../src/migrations')).filter((f) => /^\d+-\w+\.ts$/.test(f)).sort();
  const at = files.findIndex((f) => f.includes('-AuditEventsPartitioned.'));
  if (at < 1) throw new Error('src/migrations: no AuditEventsPartitioned migration with one before it');
  return files[at - 1]!.replace(/^\d+-(\w+)\.ts$/, '$1');
}

/** A fingerprint of the rows with id <= `upTo`: count, sum of ids, and a sum of per-row hashes. */
async function fingerprint(client: Client, upTo: number) {
  const { rows } = await client.query(
    `SELECT count(*)::int AS n, sum(id)::text AS ids,
            sum(hashtext(concat_ws('|', id, extract(epoch FROM occurred_at), type, user_id, actor_id, session_id, ip, user_agent, detail))::bigint)::text AS rows
       FROM auth.audit_events WHERE id <= $1`,
    [upTo],
  );
  return rows[0] as { n: number; ids: string; rows: string };
}

describe('converting a filled audit log to monthly partitions, online and resumable', () => {
  let db: TestDatabase;
  let admin: Client;

  beforeAll(async () => {
    db = await createTestDatabase({ migrated: false });
    admin = new Client({ connectionString: db.url });
    await admin.connect();
  });
  afterAll(async () => {
    await admin.end();
    await db.drop();
  });

  it('copies a million events in batches while the service writes, survives a kill, and loses or changes none', async () => {
    const env = { MIGRATION_DATABASE_URL: db.url };
    const before = await migrate(['up', migrationBeforeConversion()], env).done;
    expect(before.code).toBe(0);
    await admin.query(
      `INSERT INTO auth.audit_events (occurred_at, type, user_id, ip, user_agent, detail)
       SELECT now() - interval '90 days' + g * interval '7.7 seconds',
              (ARRAY['login_succeeded','login_failed','logout','session_ended','user_registered'])[1 + g % 5],
              md5((g % 50000)::text)::uuid, '203.0.113.7', 'seed/1.0', jsonb_build_object('n', g)
         FROM generate_series(1, $1::int) g`,
      [ROWS],
    );
    await admin.query(`ANALYZE auth.audit_events`);
    const seeded = await fingerprint(admin, ROWS);
    expect(seeded.n).toBe(ROWS);

    // The service's writes, as its own role, for the whole conversion.
    const writer = new Client({ connectionString: asServiceRole(db.url, 'auth') });
    await writer.connect();
    const written: string[] = [];
    const errors: string[] = [];
    let migrating = false;
    let writtenWhileMigrating = 0;
    let writing = true;
    let slowestWriteMs = 0;
    const writes = (async () => {
      while (writing) {
        try {
          const started = performance.now();
          const { rows } = await writer.query(`INSERT INTO auth.audit_events (type, user_id) VALUES ('login_succeeded', gen_random_uuid()) RETURNING id`);
          written.push(rows[0].id as string);
          if (migrating) writtenWhileMigrating++;
          slowestWriteMs = Math.max(slowestWriteMs, performance.now() - started);
        } catch (err) {
          errors.push((err as Error).message);
        }
        await sleep(5);
      }
    })();

    try {
      // First run: killed once a third of the rows are copied.
      migrating = true;
      const first = migrate(['up'], env);
      let firstEnded: CliResult | undefined;
      void first.done.then((r) => (firstEnded = r));
      for (;;) {
        // A run that ends before a third is copied (an error, or a machine fast enough) would leave this loop waiting for ever.
        if (firstEnded) throw new Error(`the first run ended before it was killed (exit ${firstEnded.code}): ${firstEnded.stderr || firstEnded.stdout}`);
        const { rows } = await admin.query(`SELECT to_regclass('auth.audit_events_partitioned') IS NOT NULL AS exists`);
        if (rows[0].exists) {
          const copied = await admin.query(`SELECT COALESCE(max(id), 0)::int AS id FROM auth.audit_events_partitioned WHERE id <= $1`, [ROWS]);
          if (copied.rows[0].id > ROWS / 3) break;
        }
        await sleep(100);
      }
      first.child.kill('SIGKILL');
      expect((await first.done).signal).toBe('SIGKILL');
      const history = await admin.query(`SELECT count(*)::int AS n FROM migrator.migrations WHERE name LIKE 'AuditEventsPartitioned%'`);
      expect(history.rows[0].n).toBe(0);
      const { rows: half } = await admin.query(`SELECT relkind FROM pg_class WHERE oid = 'auth.audit_events'::regclass`);
      expect(half[0].relkind).toBe('r');

      // Second run: continues the copy, checks, swaps.
      const resumed = performance.now();
      const second = await migrate(['up'], env).done;
      report('audit log conversion', { rows: ROWS, second_run_s: Math.round((performance.now() - resumed) / 100) / 10, writes_during_runs: writtenWhileMigrating });
      expect(second.stdout).toContain('applied  AuditEventsPartitioned');
      expect(second.code).toBe(0);
      migrating = false;
      await sleep(200); // a few writes after the swap, into the partitioned table
    } finally {
      writing = false;
      await writes;
      await writer.end();
    }

    report('audit log conversion', { slowest_write_ms: Math.round(slowestWriteMs) });
    expect(errors).toEqual([]);
    expect(writtenWhileMigrating).toBeGreaterThan(50);
    const { rows: kind } = await admin.query(`SELECT relkind FROM pg_class WHERE oid = 'auth.audit_events'::regclass`);
    expect(kind[0].relkind).toBe('p');
    expect(await fingerprint(admin, ROWS)).toEqual(seeded);
    // Every event the service wrote is there exactly once, and ids went on increasing across the swap.
    const { rows: mine } = await admin.query(`SELECT id::text FROM auth.audit_events WHERE id > $1 ORDER BY id`, [ROWS]);
    expect(mine.map((r) => r.id)).toEqual(written);
    const { rows: months } = await admin.query(`SELECT count(*)::int AS n FROM pg_inherits WHERE inhparent = 'auth.audit_events'::regclass`);
    expect(months[0].n).toBeGreaterThanOrEqual(7); // four months of history, three ahead, and DEFAULT
    const check = await migrate(['check'], env).done;
    expect(check.stdout).toContain('ok: no pending migrations, no drift');
  }, 600_000);
});
