import { readdirSync } from 'node:fs';
import path from 'node:path';
import { Client } from 'pg';
import { DEFAULT_MIGRATION_LOCK } from '@cathouse/migrator';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { startPgBouncer } from '../support/pgbouncer';
import { ROOT, migrate, npmRun } from './support/cli';
import { migrationsDir, type MigrationsDir } from './support/fixtures';

const projectMigrations = readdirSync(path.join(ROOT, 'src/migrations')).filter((f) => /^\d{13}-.*\.ts$/.test(f));

async function query<T = Record<string, unknown>>(url: string, sql: string, params: unknown[] = []): Promise<T[]> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(sql, params)).rows as T[];
  } finally {
    await client.end();
  }
}

// pg_locks is cluster-wide and other test files migrate their own databases meanwhile: only this database counts.
const THIS_DATABASE = `database = (SELECT oid FROM pg_database WHERE datname = current_database())`;
const lockHolders = (url: string) =>
  query(url, `SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND classid = $1::int::oid AND objid = $2::int::oid AND objsubid = 2 AND ${THIS_DATABASE}`, [DEFAULT_MIGRATION_LOCK.classId, DEFAULT_MIGRATION_LOCK.objectId]);

async function waitFor(what: string, fn: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await fn())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('one writer at a time', () => {
  let db: TestDatabase;
  let dir: MigrationsDir | undefined;

  beforeEach(async () => {
    db = await createTestDatabase({ migrated: false });
  });
  afterEach(async () => {
    await db.drop();
    dir?.remove();
    dir = undefined;
  });

  it('three `npm run migration:run` (the plain TypeORM CLI) at once all exit 0 and apply each migration exactly once', async () => {
    const runs = await Promise.all([1, 2, 3].map(() => npmRun('migration:run', { MIGRATION_DATABASE_URL: db.url }).done));
    for (const r of runs) expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: expect.any(String) });
    const rows = await query<{ name: string; n: number }>(db.url, `SELECT name, count(*)::int AS n FROM migrator.migrations GROUP BY name`);
    expect(rows).toHaveLength(projectMigrations.length);
    expect(rows.every((r) => r.n === 1)).toBe(true);
    const checksums = await query<{ via: string }>(db.url, `SELECT via FROM migrator.migration_checksums`);
    expect(checksums).toHaveLength(projectMigrations.length);
    expect(new Set(checksums.map((c) => c.via))).toEqual(new Set(['typeorm migration:run']));
  }, 120_000);

  it('three `npm run migrate -- up` at once all exit 0 and apply each migration exactly once', async () => {
    const runs = await Promise.all([1, 2, 3].map(() => migrate(['up'], { MIGRATION_DATABASE_URL: db.url }).done));
    for (const r of runs) expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: expect.any(String) });
    const applied = runs.flatMap((r) => r.stdout.split('\n').filter((l) => l.startsWith('applied ')));
    expect(applied).toHaveLength(projectMigrations.length);
    const rows = await query<{ name: string; n: number }>(db.url, `SELECT name, count(*)::int AS n FROM migrator.migrations GROUP BY name`);
    expect(rows).toHaveLength(projectMigrations.length);
    expect(rows.every((r) => r.n === 1)).toBe(true);
  }, 120_000);

  it('a process SIGKILLed mid-migration leaves nothing half-applied and no lock behind', async () => {
    dir = migrationsDir('basic', 'slow');
    const run = migrate(['up', '--dir', dir.dir], { MIGRATION_DATABASE_URL: db.url });
    await waitFor('the slow migration to be running', async () =>
      (await query(db.url, `SELECT 1 FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep(30)%' AND datname = current_database()`)).length > 0,
    );
    expect(await lockHolders(db.url)).toHaveLength(1);
    run.child.kill('SIGKILL');
    expect((await run.done).signal).toBe('SIGKILL');
    // The server notices the dead client (client_connection_check_interval) and rolls back.
    await waitFor('the lock to be released', async () => (await lockHolders(db.url)).length === 0, 10_000);
    const tables = await query<{ tablename: string }>(db.url, `SELECT tablename FROM pg_tables WHERE schemaname = 'public'`);
    expect(tables.map((t) => t.tablename)).not.toContain('slow_table');
    const applied = await query<{ name: string }>(db.url, `SELECT name FROM migrator.migrations ORDER BY id`);
    expect(applied.map((a) => a.name)).toEqual(['CreateKittens1700000000001', 'AddKittenColor1700000000002', 'CreateToys1700000000003']);
    // and the next run is not blocked by anything left behind
    const status = await migrate(['status', '--dir', dir.dir], { MIGRATION_DATABASE_URL: db.url }).done;
    expect(status.stdout).toContain('[ ] SlowMigration1700000000005');
  }, 60_000);

  it('a runner waiting for the lock does not block a CREATE INDEX CONCURRENTLY of the holder (no snapshot held while waiting): both exit 0, the index is valid', async () => {
    dir = migrationsDir('basic', 'nontx-after-wait');
    const first = migrate(['up', '--dir', dir.dir], { MIGRATION_DATABASE_URL: db.url });
    await waitFor('the first run to be in its migration', async () =>
      (await query(db.url, `SELECT 1 FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep(8)%' AND datname = current_database()`)).length > 0,
    );
    const second = migrate(['up', '--dir', dir.dir], { MIGRATION_DATABASE_URL: db.url, MIGRATION_LOCK_TIMEOUT_MS: '60000' });
    const [a, b] = await Promise.all([first.done, second.done]);
    expect({ code: a.code, stderr: a.stderr }).toEqual({ code: 0, stderr: expect.any(String) });
    expect({ code: b.code, stderr: b.stderr }).toEqual({ code: 0, stderr: expect.stringContaining('waiting up to 60000 ms') });
    const [index] = await query<{ valid: boolean }>(db.url, `SELECT indisvalid AS valid FROM pg_index WHERE indexrelid = 'idx_kittens_name_after_wait'::regclass`);
    expect(index).toEqual({ valid: true });
    const applied = await query<{ name: string }>(db.url, `SELECT name FROM migrator.migrations WHERE name LIKE 'IndexAfterAWait%'`);
    expect(applied).toHaveLength(1);
  }, 60_000);

  it('waits for the lock with a visible message naming the holder, and gives up after MIGRATION_LOCK_TIMEOUT_MS', async () => {
    const holder = new Client({ connectionString: db.url, application_name: 'someone-else' });
    await holder.connect();
    try {
      await holder.query('SELECT pg_advisory_lock($1::int, $2::int)', [DEFAULT_MIGRATION_LOCK.classId, DEFAULT_MIGRATION_LOCK.objectId]);
      const { rows } = await holder.query('SELECT pg_backend_pid() AS pid');
      // a statement_timeout shorter than the lock timeout must not cut the wait short
      const r = await migrate(['up'], { MIGRATION_DATABASE_URL: db.url, MIGRATION_LOCK_TIMEOUT_MS: '700', MIGRATION_STATEMENT_TIMEOUT_MS: '100' }).done;
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`the migration lock is still held by pid ${rows[0].pid}`);
      expect(r.stderr).toContain(`waiting up to 700 ms (MIGRATION_LOCK_TIMEOUT_MS) for the migration lock held by pid ${rows[0].pid} (someone-else`);
      expect(r.stderr).toContain(`pg_terminate_backend(${rows[0].pid})`);
      expect(await query(db.url, `SELECT to_regclass('users') AS t`)).toEqual([{ t: null }]);
    } finally {
      await holder.end();
    }
  }, 60_000);

  it('proceeds once the holder releases the lock within the timeout', async () => {
    const holder = new Client({ connectionString: db.url });
    await holder.connect();
    await holder.query('SELECT pg_advisory_lock($1::int, $2::int)', [DEFAULT_MIGRATION_LOCK.classId, DEFAULT_MIGRATION_LOCK.objectId]);
    const run = migrate(['up'], { MIGRATION_DATABASE_URL: db.url, MIGRATION_LOCK_TIMEOUT_MS: '30000' });
    // It polls (pg_try_advisory_lock) rather than queueing in the server: its last statement shows it trying.
    await waitFor('the CLI to try for the lock', async () =>
      (await query(db.url, `SELECT 1 FROM pg_stat_activity WHERE query LIKE 'SELECT pg_try_advisory_lock%' AND datname = current_database()`)).length > 0,
    );
    await holder.end();
    const r = await run.done;
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('waiting up to 30000 ms');
    expect(r.stdout).toMatch(/waited \d+ ms for the migration lock/);
  }, 60_000);
});

describe('not through a pooler', () => {
  it('refuses a real PgBouncer (transaction mode) on its own port before doing anything, naming MIGRATION_DATABASE_URL', async () => {
    const db = await createTestDatabase({ migrated: false });
    const bouncer = await startPgBouncer(db.url);
    try {
      const r = await migrate(['up'], { MIGRATION_DATABASE_URL: bouncer.url }).done;
      expect(r.code).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(/MIGRATION_DATABASE_URL .* is a connection pooler .*unsupported startup parameter.*direct endpoint/);
      const plain = await npmRun('migration:run', { MIGRATION_DATABASE_URL: bouncer.url }).done;
      expect(plain.code).toBe(1);
      expect(plain.stderr + plain.stdout).toContain('is a connection pooler');
      expect(await query(db.url, `SELECT to_regclass('migrator.migrations') AS t`)).toEqual([{ t: null }]);
    } finally {
      await bouncer.stop();
      await db.drop();
    }
  }, 60_000);

  it('recognises by behaviour a PgBouncer that silently drops the options startup parameter, before any write, by both CLIs', async () => {
    const db = await createTestDatabase({ migrated: false });
    // A common setting: PgBouncer then accepts our startup options instead of refusing them.
    const bouncer = await startPgBouncer(db.url, { ignoreStartupParameters: 'extra_float_digits,options' });
    const dir = migrationsDir('basic');
    try {
      const r = await migrate(['up', '--dir', dir.dir], { MIGRATION_DATABASE_URL: bouncer.url }).done;
      expect({ code: r.code, stdout: r.stdout }).toEqual({ code: 2, stdout: '' });
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(/MIGRATION_DATABASE_URL .* is a connection pooler: .*same backend.*nothing was written: set MIGRATION_DATABASE_URL to the direct endpoint/);
      const plain = await npmRun('migration:run', { MIGRATION_DATABASE_URL: bouncer.url }).done;
      expect(plain.code).toBe(1);
      expect(plain.stderr + plain.stdout).toContain('is a connection pooler');
      // Nothing was written: no history table, no fixture table, and no session setting leaked to the pool.
      expect(await query(db.url, `SELECT to_regclass('migrator.migrations') AS m, to_regclass('kittens') AS k`)).toEqual([{ m: null, k: null }]);
      const pooled = await Promise.all([1, 2, 3].map(() => query<{ lock_timeout: string }>(bouncer.url, 'SHOW lock_timeout')));
      expect(pooled.map((rows) => rows[0]!.lock_timeout)).toEqual(['0', '0', '0']);
    } finally {
      dir.remove();
      await bouncer.stop();
      await db.drop();
    }
  }, 60_000);

  it.each([
    ['a -pooler host', 'postgres://u:p@ep-cool-cat-123456-pooler.eu-central-1.aws.neon.tech/neondb', /contains "-pooler"/],
    ['port 6432', 'postgres://u:p@db.internal:6432/cathouse', /port 6432, PgBouncer's port/],
    ['a -pooler host given as a query parameter', 'postgres://u:p@db.internal/neondb?host=ep-cool-cat-123456-pooler.eu-central-1.aws.neon.tech', /contains "-pooler"/],
    ['port 6432 given as a query parameter', 'postgres://u:p@db.internal/cathouse?port=6432', /port 6432, PgBouncer's port/],
  ])('refuses %s without connecting', async (_what, url, reason) => {
    const r = await migrate(['status'], { MIGRATION_DATABASE_URL: url }).done;
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(reason);
    expect(r.stderr).toContain('set MIGRATION_DATABASE_URL to the direct endpoint');
  });
});
