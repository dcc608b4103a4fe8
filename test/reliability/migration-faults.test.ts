import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { DEFAULT_MIGRATION_LOCK } from '@cathouse/migrator';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { migrateCommand } from './support/migrate-command';
import { REPO_ROOT, sleep } from './support/service-process';
import { report } from './support/traffic';

/*
 * Faults during `npm run migrate -- up`, driven through the real CLI as separate processes on an
 * empty database: several runners at once, a runner killed with SIGKILL in the middle of a
 * migration, a migration failing half-way, and the lock held by someone else past the timeout.
 * After each: the schema is whole (every table of an applied migration complete, nothing of an
 * unapplied one), the history is exactly the applied prefix, and no migration lock is left.
 */

const COUNT = 12;
/** The migration the faults are injected into (1-based). */
const FAULTY = 6;
let dir: string;

/**
 * Migration i creates table fault_t<i> with a column and an index in two statements, so a
 * half-applied migration would show as a table without its index. Migration FAULTY can be made
 * to sleep (FAULT_SLEEP_S) or to fail (FAULT_FAIL=1) between its two statements; its source
 * (and so its checksum) does not change with the fault.
 */
async function writeMigrations(): Promise<void> {
  const base = 1_810_000_000_000;
  for (let i = 1; i <= COUNT; i++) {
    const name = `FaultTable${i}${base + i}`;
    const fault =
      i === FAULTY
        ? `
    await queryRunner.query(\`SELECT pg_sleep(\${Number(process.env.FAULT_SLEEP_S ?? 0)})\`);
    if (process.env.FAULT_FAIL === '1') await queryRunner.query('SELECT no_such_column FROM fault_t${i}');`
        : '';
    await writeFile(
      path.join(dir, `${base + i}-FaultTable${i}.ts`),
      `import type { MigrationInterface, QueryRunner } from 'typeorm';

export class ${name} implements MigrationInterface {
  name = '${name}';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('CREATE TABLE fault_t${i} (id serial PRIMARY KEY, label text NOT NULL)');${fault}
    await queryRunner.query('CREATE INDEX fault_t${i}_label_idx ON fault_t${i} (label)');
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE fault_t${i}');
  }
}
`,
    );
  }
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'cathouse-fault-migrations-'));
  await writeMigrations();
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

interface CliRun {
  child: ChildProcess;
  done: Promise<{ code: number | null; signal: NodeJS.Signals | null; output: string; ms: number }>;
  output(): string;
}

/** `npm run migrate -- up --dir DIR` as its own process (the command npm runs, without npm in between). */
function migrateUp(url: string, env: Record<string, string> = {}): CliRun {
  const started = performance.now();
  const cli = migrateCommand(['up', '--dir', dir]);
  const child = spawn(cli.command, cli.args, {
    cwd: REPO_ROOT,
    env: { PATH: process.env.PATH!, HOME: process.env.HOME ?? '/tmp', NODE_ENV: 'development', MIGRATION_DATABASE_URL: url, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (d) => (output = (output + d).slice(-20_000)));
  child.stderr!.on('data', (d) => (output = (output + d).slice(-20_000)));
  const timer = setTimeout(() => child.kill('SIGKILL'), 90_000);
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; output: string; ms: number }>((resolve) =>
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, output, ms: Math.round(performance.now() - started) });
    }),
  );
  return { child, done, output: () => output };
}

async function query<T extends Record<string, unknown>>(url: string, sql: string, params: unknown[] = []): Promise<T[]> {
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query<T>(sql, params)).rows;
  } finally {
    await c.end();
  }
}

const migrationName = (i: number) => `FaultTable${i}${1_810_000_000_000 + i}`;

/** Sessions holding the migration lock on this database. */
async function lockHolders(url: string): Promise<number> {
  const rows = await query<{ n: string }>(
    url,
    `SELECT count(*) AS n FROM pg_locks WHERE locktype = 'advisory' AND granted AND classid = $1::int::oid AND objid = $2::int::oid AND objsubid = 2
        AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
    [DEFAULT_MIGRATION_LOCK.classId, DEFAULT_MIGRATION_LOCK.objectId],
  );
  return Number(rows[0]!.n);
}

/** Waits (bounded) until no session holds the lock: a killed runner's backend needs a moment to notice. */
async function waitForNoLock(url: string, limitMs = 10_000): Promise<number> {
  const started = Date.now();
  while (Date.now() - started < limitMs) {
    if ((await lockHolders(url)) === 0) return Date.now() - started;
    await sleep(100);
  }
  throw new Error(`the migration lock is still held ${limitMs} ms later`);
}

/**
 * The state the database must be in after any fault: the history is migrations 1..k in order,
 * once each, with a checksum each; tables 1..k exist with their index; no table beyond k exists.
 */
async function expectWholeAt(url: string, k: number): Promise<void> {
  const history = await query<{ name: string }>(url, `SELECT name FROM migrator.migrations ORDER BY "timestamp", id`);
  expect(history.map((r) => r.name)).toEqual(Array.from({ length: k }, (_, i) => migrationName(i + 1)));
  if (k > 0) {
    const checksums = await query<{ name: string }>(url, `SELECT name FROM migrator.migration_checksums ORDER BY name`);
    expect(checksums.map((r) => r.name).sort()).toEqual(history.map((r) => r.name).sort());
  }
  const tables = await query<{ tablename: string }>(url, `SELECT tablename FROM pg_tables WHERE tablename LIKE 'fault_t%' ORDER BY tablename`);
  expect(tables.map((t) => t.tablename).sort()).toEqual(Array.from({ length: k }, (_, i) => `fault_t${i + 1}`).sort());
  const indexes = await query<{ indexname: string }>(url, `SELECT indexname FROM pg_indexes WHERE indexname LIKE 'fault_t%_label_idx'`);
  expect(indexes.length).toBe(k);
  expect(await lockHolders(url)).toBe(0);
}

let db: TestDatabase;
beforeEach(async () => {
  db = await createTestDatabase({ migrated: false });
});
afterEach(async () => {
  await db.drop();
});

test('four `migrate up` started at once all succeed and apply each migration exactly once', async () => {
  const runs = Array.from({ length: 4 }, () => migrateUp(db.url));
  const results = await Promise.all(runs.map((r) => r.done));
  report('concurrent migrate up', { runners: 4, migrations: COUNT, exit_codes: results.map((r) => r.code), ms: results.map((r) => r.ms) });
  for (const r of results) expect({ code: r.code, output: r.code === 0 ? '' : r.output }).toEqual({ code: 0, output: '' });
  await expectWholeAt(db.url, COUNT);
});

test('SIGKILL in the middle of a migration leaves it unapplied, the earlier ones applied, and no lock; the next run finishes', async () => {
  const run = migrateUp(db.url, { FAULT_SLEEP_S: '30' });
  // Wait (bounded) until the runner sleeps inside migration FAULTY, after its CREATE TABLE.
  const started = Date.now();
  for (;;) {
    const sleeping = await query(db.url, `SELECT 1 FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep(%' AND state = 'active'`);
    if (sleeping.length) break;
    if (Date.now() - started > 30_000 || run.child.exitCode !== null) throw new Error(`the runner never reached migration ${FAULTY}: ${run.output()}`);
    await sleep(100);
  }
  run.child.kill('SIGKILL');
  const killed = await run.done;
  const lockGoneAfterMs = await waitForNoLock(db.url);
  // The killed backend may still be rolling back for a moment; the lock going is what frees the schema.
  await expectWholeAt(db.url, FAULTY - 1);

  const again = await migrateUp(db.url).done;
  report('SIGKILL mid-migration', {
    killed_in: migrationName(FAULTY),
    killed_by: killed.signal,
    lock_released_after_ms: lockGoneAfterMs,
    applied_before_kill: FAULTY - 1,
    rerun_exit_code: again.code,
  });
  expect(killed.signal).toBe('SIGKILL');
  expect(again.code).toBe(0);
  await expectWholeAt(db.url, COUNT);
});

test('a migration failing half-way is rolled back whole, stops the run with its name, and leaves the earlier ones applied', async () => {
  const failed = await migrateUp(db.url, { FAULT_FAIL: '1' }).done;
  report('migration failing half-way', { exit_code: failed.code, names_the_migration: failed.output.includes(migrationName(FAULTY)) });
  expect(failed.code).toBe(1);
  expect(failed.output).toContain(migrationName(FAULTY));
  await expectWholeAt(db.url, FAULTY - 1);

  const fixed = await migrateUp(db.url).done;
  expect(fixed.code).toBe(0);
  await expectWholeAt(db.url, COUNT);
});

test('a lock held by another session past the timeout: the runner gives up without touching anything, and runs once it is free', async () => {
  const holder = new Client({ connectionString: db.url, application_name: 'reliability-lock-holder' });
  await holder.connect();
  let gaveUp;
  try {
    await holder.query('SELECT pg_advisory_lock($1::int, $2::int)', [DEFAULT_MIGRATION_LOCK.classId, DEFAULT_MIGRATION_LOCK.objectId]);
    gaveUp = await migrateUp(db.url, { MIGRATION_LOCK_TIMEOUT_MS: '1500' }).done;
  } finally {
    await holder.end();
  }
  report('lock held past the timeout', {
    lock_timeout_ms: 1500,
    exit_code: gaveUp.code,
    waited_ms: gaveUp.ms,
    names_the_holder: gaveUp.output.includes('reliability-lock-holder'),
  });
  expect(gaveUp.code).not.toBe(0);
  expect(gaveUp.output).toContain('reliability-lock-holder');
  await waitForNoLock(db.url);
  const tables = await query(db.url, `SELECT 1 FROM pg_tables WHERE tablename LIKE 'fault_t%'`);
  expect(tables).toEqual([]);

  const after = await migrateUp(db.url).done;
  expect(after.code).toBe(0);
  await expectWholeAt(db.url, COUNT);
});
