import { readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Client } from 'pg';
import { DEFAULT_MIGRATION_LOCK, MigratorError, rebaseMigration, type MigrationDataSource } from '../src';
import { createDatabase, type TestDatabase } from './support/database';
import { closeFixtureDatabase, openFixtureDatabase } from './support/fixture-database';
import { TIMEOUTS, fixtureDataSource, migrationsDir, type MigrationsDir } from './support/fixtures';

describe('the migrator library on a real database', () => {
  let db: TestDatabase;
  let dir: MigrationsDir;
  let ds: MigrationDataSource;
  let client: Client;

  beforeEach(async () => {
    ({ db, dir, ds, client } = await openFixtureDatabase(['basic']));
  });

  afterEach(async () => {
    await closeFixtureDatabase({ db, dir, ds, client });
  });

  const tables = async () =>
    (await client.query(`SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1`)).rows.map((r) => r.tablename);
  const applied = async () => (await client.query(`SELECT name FROM migrations ORDER BY id`)).rows.map((r) => r.name);

  it('applies every pending migration, records checksum, duration and who, and reports head', async () => {
    const result = await ds.migrator().up();
    expect(result.error).toBeUndefined();
    expect(result.results.map((r) => [r.name, r.status])).toEqual([
      ['CreateKittens1700000000001', 'done'],
      ['AddKittenColor1700000000002', 'done'],
      ['CreateToys1700000000003', 'done'],
    ]);
    expect(await tables()).toEqual(['kittens', 'migration_checksums', 'migrations', 'toys']);
    const meta = await client.query(`SELECT name, length(checksum) AS len, duration_ms, applied_by, via FROM migration_checksums ORDER BY name`);
    expect(meta.rows).toHaveLength(3);
    for (const row of meta.rows) {
      expect(row.len).toBe(64);
      expect(row.duration_ms).toBeGreaterThanOrEqual(0);
      expect(row.applied_by).toMatch(/@/);
      expect(row.via).toBe('migrate');
    }
    const state = await ds.migrator().status();
    expect(state.current).toBe('CreateToys1700000000003');
    expect(state.pending).toEqual([]);
    expect(state.problems).toEqual([]);
  });

  it('applies up to a target given by unique prefix of name or timestamp, and +N steps', async () => {
    await ds.migrator().up({ target: 'createk' });
    expect(await applied()).toEqual(['CreateKittens1700000000001']);
    await ds.migrator().up({ target: '1700000000002' });
    expect(await applied()).toEqual(['CreateKittens1700000000001', 'AddKittenColor1700000000002']);
    await ds.migrator().up({ steps: 1 });
    expect(await applied()).toHaveLength(3);
  });

  it('refuses an ambiguous or unknown target and lists the candidates', async () => {
    await expect(ds.migrator().up({ target: 'Create' })).rejects.toMatchObject({
      code: 'ambiguous_target',
      message: expect.stringContaining('CreateKittens1700000000001, CreateToys1700000000003'),
    });
    await expect(ds.migrator().up({ target: 'Nope' })).rejects.toMatchObject({
      code: 'unknown_target',
      message: expect.stringContaining('known: CreateToys1700000000003, AddKittenColor1700000000002, CreateKittens1700000000001 (or use head'),
    });
    expect(await tables()).toEqual(['migration_checksums', 'migrations']);
  });

  it('reverts one step by default, N steps, to a target, and to base', async () => {
    await ds.migrator().up();
    await ds.migrator().down();
    expect(await applied()).toEqual(['CreateKittens1700000000001', 'AddKittenColor1700000000002']);
    expect(await tables()).not.toContain('toys');
    await ds.migrator().up();
    await ds.migrator().down({ target: 'CreateKittens' });
    expect(await applied()).toEqual(['CreateKittens1700000000001']);
    await ds.migrator().up();
    await ds.migrator().down({ steps: 2 });
    expect(await applied()).toEqual(['CreateKittens1700000000001']);
    await ds.migrator().down({ target: 'base' });
    expect(await applied()).toEqual([]);
    expect(await tables()).toEqual(['migration_checksums', 'migrations']);
    expect((await client.query('SELECT count(*)::int AS n FROM migration_checksums')).rows[0].n).toBe(0);
  });

  it('stamps head, a target and base without running any SQL', async () => {
    const stamped = await ds.migrator().stamp('head');
    expect(stamped.inserted).toHaveLength(3);
    expect(await tables()).toEqual(['migration_checksums', 'migrations']);
    const back = await ds.migrator().stamp('AddKitten');
    expect(back.deleted).toEqual(['CreateToys1700000000003']);
    expect(await applied()).toEqual(['CreateKittens1700000000001', 'AddKittenColor1700000000002']);
    await ds.migrator().stamp('base');
    expect(await applied()).toEqual([]);
  });

  it('rolls back a failing migration, names it and its statement, and keeps the earlier ones applied', async () => {
    dir.add('failing');
    const result = await ds.migrator().up();
    expect(result.results.map((r) => r.status)).toEqual(['done', 'done', 'done', 'failed']);
    expect(result.error).toBeInstanceOf(MigratorError);
    expect(result.error!.code).toBe('migration_failed');
    expect(result.error!.message).toContain('BrokenMigration1700000000004');
    expect(result.error!.message).toContain('ALTER TABLE "no_such_table" ADD "x" integer');
    expect(result.error!.message).toContain('rolled back');
    expect(await tables()).not.toContain('half_done');
    expect(await applied()).toHaveLength(3);
  });

  it('runs a migration that opts out of the transaction (CREATE INDEX CONCURRENTLY)', async () => {
    dir.add('nontx');
    const result = await ds.migrator().up();
    expect(result.error).toBeUndefined();
    expect(result.results.at(-1)).toMatchObject({ name: 'ConcurrentIndex1700000000006', transaction: false, status: 'done' });
    const idx = await client.query(`SELECT indexname FROM pg_indexes WHERE indexname = 'idx_kittens_name'`);
    expect(idx.rowCount).toBe(1);
  });

  it('runs a migration in a transaction unless it says transaction = false, so CREATE INDEX CONCURRENTLY alone fails there (why lint differs from squawk sq-036)', async () => {
    writeFileSync(
      path.join(dir.dir, '1700000000008-LoneConcurrentIndex.ts'),
      `export class LoneConcurrentIndex1700000000008 { async up(q: any) { await q.query('CREATE INDEX CONCURRENTLY "idx_kittens_lone" ON "kittens" ("name")'); } async down() {} }\n`,
    );
    const result = await ds.migrator().up();
    expect(result.error?.message).toMatch(/LoneConcurrentIndex1700000000008 .* CREATE INDEX CONCURRENTLY cannot run inside a transaction block/);
  });

  it('sets lock_timeout and statement_timeout on the migration session from its settings', async () => {
    const custom = fixtureDataSource(db.url, { migrationsDir: dir.dir, timeouts: { ...TIMEOUTS, ddlLockTimeoutMs: 1234, statementTimeoutMs: 56789 } });
    await custom.initialize();
    try {
      const seen = await custom.migrator().withLock(async (runner) => {
        const [lock] = await runner.query('SHOW lock_timeout');
        const [statement] = await runner.query('SHOW statement_timeout');
        return [lock.lock_timeout, statement.statement_timeout];
      });
      expect(seen).toEqual(['1234ms', '56789ms']);
    } finally {
      await custom.destroy();
    }
  });

  it('fails a migration that waits on a table lock longer than the DDL lock timeout', async () => {
    await ds.migrator().up({ target: 'CreateKittens' });
    const custom = fixtureDataSource(db.url, { migrationsDir: dir.dir, timeouts: { ...TIMEOUTS, ddlLockTimeoutMs: 200 } });
    await custom.initialize();
    const blocker = new Client({ connectionString: db.url });
    await blocker.connect();
    try {
      await blocker.query('BEGIN');
      await blocker.query('LOCK TABLE kittens IN ACCESS SHARE MODE');
      const t0 = Date.now();
      const result = await custom.migrator().up({ steps: 1 });
      expect(Date.now() - t0).toBeLessThan(5000);
      expect(result.error?.code).toBe('migration_failed');
      expect(result.error?.message).toMatch(/AddKittenColor1700000000002.*lock timeout/s);
    } finally {
      await blocker.query('ROLLBACK');
      await blocker.end();
      await custom.destroy();
    }
  });

  it('runs a migration whose name property differs from its class name under that name, as TypeORM records it', async () => {
    writeFileSync(
      path.join(dir.dir, '1700000000009-Misnamed.ts'),
      `export class Misnamed1700000000009 { name = 'Other1700000000009'; async up() {} async down() {} }\n`,
    );
    const result = await ds.migrator().up();
    expect(result.error).toBeUndefined();
    expect(await applied()).toEqual(['CreateKittens1700000000001', 'AddKittenColor1700000000002', 'CreateToys1700000000003', 'Other1700000000009']);
  });

  describe('history checks', () => {
    it('reports an applied migration whose file changed, names the file and the fix, and up refuses', async () => {
      await ds.migrator().up({ target: 'AddKitten' });
      // A changed statement (not a comment or the layout: those keep the checksum, see checksums.test.ts).
      const file = path.join(dir.dir, '1700000000001-CreateKittens.ts');
      writeFileSync(file, readFileSync(file, 'utf8').replace('"name"', '"full_name"'));
      const state = await ds.migrator().status();
      expect(state.problems).toEqual([
        expect.objectContaining({
          code: 'checksum_mismatch',
          migration: 'CreateKittens1700000000001',
          message: expect.stringMatching(/1700000000001-CreateKittens\.ts changed after .* write the change as a new migration/),
        }),
      ]);
      await expect(ds.migrator().up()).rejects.toMatchObject({ code: 'checksum_mismatch' });
      expect(await applied()).toHaveLength(2);
    });

    it('adopts migrations applied before checksums existed instead of flagging them', async () => {
      await ds.migrator().up({ target: 'CreateKittens' });
      await client.query('DROP TABLE migration_checksums');
      const before = await ds.migrator().status();
      expect(before.problems).toEqual([]);
      expect(before.migrations[0]).toMatchObject({ checksum: 'unrecorded' });
      const result = await ds.migrator().up();
      expect(result.adopted).toEqual(['CreateKittens1700000000001']);
      const after = await ds.migrator().status();
      expect(after.migrations.map((m) => m.checksum)).toEqual(['ok', 'ok', 'ok']);
      expect(after.migrations[0]).toMatchObject({ via: 'adopted' });
    });

    it('reports a pending migration older than the newest applied like multiple heads, and up refuses unless allowed', async () => {
      rmSync(path.join(dir.dir, '1700000000002-AddKittenColor.ts'));
      await ds.migrator().up();
      dir.add('basic'); // the other branch's migration arrives with the merge
      const state = await ds.migrator().status();
      expect(state.problems).toEqual([
        expect.objectContaining({ code: 'out_of_order', migration: 'AddKittenColor1700000000002', message: expect.stringContaining('multiple heads') }),
      ]);
      await expect(ds.migrator().up()).rejects.toMatchObject({ code: 'out_of_order', message: expect.stringContaining('--allow-out-of-order') });
      const result = await ds.migrator().up({ allowOutOfOrder: true });
      expect(result.results.map((r) => r.name)).toEqual(['AddKittenColor1700000000002']);
      // reverting undoes the last applied first, whatever its timestamp
      const down = await ds.migrator().down();
      expect(down.results.map((r) => r.name)).toEqual(['AddKittenColor1700000000002']);
    });

    it('reports an applied migration whose file is missing, and up refuses', async () => {
      await ds.migrator().up();
      rmSync(path.join(dir.dir, '1700000000003-CreateToys.ts'));
      const state = await ds.migrator().status();
      expect(state.problems).toEqual([expect.objectContaining({ code: 'missing_migration_file', migration: 'CreateToys1700000000003' })]);
      await expect(ds.migrator().up()).rejects.toMatchObject({ code: 'missing_migration_file' });
      await expect(ds.migrator().down()).rejects.toMatchObject({ code: 'missing_migration_file' });
    });
  });

  describe('rebase', () => {
    it("gives a merged branch's migration a timestamp after the head (file, class and name), which then applies in order", async () => {
      rmSync(path.join(dir.dir, '1700000000002-AddKittenColor.ts'));
      await ds.migrator().up();
      dir.add('basic'); // the branch's migration arrives with the merge, older than the applied head
      expect((await ds.migrator().status()).problems.map((p) => p.code)).toEqual(['out_of_order']);
      const rebased = await rebaseMigration(ds.migrator(), 'AddKitten', 1700000000999);
      expect(rebased).toMatchObject({
        from: { name: 'AddKittenColor1700000000002' },
        to: { name: 'AddKittenColor1700000000999', file: path.join(dir.dir, '1700000000999-AddKittenColor.ts'), timestamp: 1700000000999 },
        after: 'CreateToys1700000000003',
      });
      expect(readdirSync(dir.dir).sort()).toEqual(['1700000000001-CreateKittens.ts', '1700000000003-CreateToys.ts', '1700000000999-AddKittenColor.ts']);
      const source = readFileSync(rebased.to.file, 'utf8');
      expect(source).toContain('export class AddKittenColor1700000000999');
      expect(source).not.toContain('1700000000002');
      expect((await ds.migrator().status()).problems).toEqual([]);
      expect((await ds.migrator().up()).results.map((r) => r.name)).toEqual(['AddKittenColor1700000000999']);
    });

    it('takes one past the head when the clock is behind it', async () => {
      rmSync(path.join(dir.dir, '1700000000002-AddKittenColor.ts'));
      await ds.migrator().up();
      dir.add('basic');
      expect((await rebaseMigration(ds.migrator(), 'AddKitten', 5)).to.timestamp).toBe(1700000000004);
    });

    it('refuses a migration the database has applied, saying why, and changes no file', async () => {
      await ds.migrator().up({ target: 'AddKitten' });
      await expect(rebaseMigration(ds.migrator(), 'AddKitten')).rejects.toMatchObject({
        code: 'already_applied',
        message: expect.stringMatching(/AddKittenColor1700000000002 is already applied to the database .*: a new timestamp would make it look pending there and run it again/),
      });
      expect(readdirSync(dir.dir)).toContain('1700000000002-AddKittenColor.ts');
    });
  });

  describe('--sql preview', () => {
    it('prints the SQL of each pending migration in order, with names as comments, and changes nothing', async () => {
      const result = await ds.migrator().up({ dryRun: true });
      expect(result.sql).toContain('-- CreateKittens1700000000001 (up)\nBEGIN;\nCREATE TABLE "kittens"');
      expect(result.sql!.indexOf('AddKittenColor')).toBeLessThan(result.sql!.indexOf('CreateToys1700000000003'));
      expect(result.sql).toContain(`INSERT INTO "migrations" ("timestamp", "name") VALUES (1700000000003, 'CreateToys1700000000003');`);
      expect(await tables()).toEqual([]);
    });

    it('previews down with the reverse statements and leaves the database as it was', async () => {
      await ds.migrator().up();
      const result = await ds.migrator().down({ target: 'base', dryRun: true });
      expect(result.results.map((r) => r.name)).toEqual(['CreateToys1700000000003', 'AddKittenColor1700000000002', 'CreateKittens1700000000001']);
      expect(result.sql).toContain('DROP INDEX "idx_toys_kitten_id";');
      expect(await applied()).toHaveLength(3);
    });

    it('says clearly when a migration reads data and so cannot be previewed exactly', async () => {
      await ds.migrator().up();
      dir.add('reads');
      const result = await ds.migrator().up({ dryRun: true });
      expect(result.results[0]).toMatchObject({ name: 'BackfillColor1700000000007', readsData: true });
      expect(result.sql).toContain('READS DATA: cannot be previewed exactly');
    });
  });
});

describe('the migration lock', () => {
  let db: TestDatabase;
  let dir: MigrationsDir;
  let ds: MigrationDataSource;
  let other: Client;

  beforeEach(async () => {
    db = await createDatabase();
    dir = migrationsDir('basic');
    ds = fixtureDataSource(db.url, { migrationsDir: dir.dir, timeouts: { ...TIMEOUTS, lockTimeoutMs: 500 } });
    await ds.initialize();
    other = new Client({ connectionString: db.url });
    await other.connect();
  });
  afterEach(async () => {
    await other.end();
    await ds.destroy();
    await db.drop();
    dir.remove();
  });

  it('is the two-key advisory lock with its own class id, as pg_locks shows it', async () => {
    const held = await ds.migrator().withLock(async () =>
      (await other.query(`SELECT classid::bigint AS classid, objid::bigint AS objid, objsubid FROM pg_locks WHERE locktype = 'advisory' AND granted
                           AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`)).rows,
    );
    expect(held).toEqual([{ classid: String(DEFAULT_MIGRATION_LOCK.classId), objid: String(DEFAULT_MIGRATION_LOCK.objectId), objsubid: 2 }]);
    expect(DEFAULT_MIGRATION_LOCK.classId).toBe(0x6d696772); // "migr"
  });

  it("is not taken by another service's one-bigint advisory lock of any value, nor by its two-key locks of another class", async () => {
    // The old key (0x63617473, "cats") as one bigint, and a two-key lock of another class with our object id.
    await other.query('SELECT pg_advisory_lock($1::bigint), pg_advisory_lock($2::int, $3::int)', [0x63617473, 42, DEFAULT_MIGRATION_LOCK.objectId]);
    const result = await ds.migrator().up();
    expect(result.error).toBeUndefined();
    expect(result.results).toHaveLength(3);
  });

  it('is waited for, and times out naming the holder, when another migrator holds it', async () => {
    await other.query('SELECT pg_advisory_lock($1::int, $2::int)', [DEFAULT_MIGRATION_LOCK.classId, DEFAULT_MIGRATION_LOCK.objectId]);
    const [{ pid }] = (await other.query('SELECT pg_backend_pid() AS pid')).rows;
    await expect(ds.migrator().up()).rejects.toMatchObject({ code: 'lock_timeout', message: expect.stringContaining(`pg_terminate_backend(${pid})`) });
  });
});
