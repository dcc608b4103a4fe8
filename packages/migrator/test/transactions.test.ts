import { copyFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import type { Client } from 'pg';
import type { MigrationDataSource } from '../src';
import type { TestDatabase } from './support/database';
import { closeFixtureDatabase, openFixtureDatabase } from './support/fixture-database';
import { fixtureDataSource, type MigrationsDir } from './support/fixtures';

const EXAMPLE = path.resolve(__dirname, '../examples/expand-backfill-contract');

/** Transactions of a run: each (default), all (--single-transaction), none; and migrations that opt out. */
describe('transactions of a run', () => {
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

  const applied = async () => (await client.query('SELECT name FROM migrations ORDER BY id')).rows.map((r) => r.name);
  const tables = async () =>
    (await client.query(`SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename NOT LIKE 'migration%' ORDER BY 1`)).rows.map((r) => r.tablename);

  it('each (the default): a failure keeps the migrations before it', async () => {
    dir.add('failing');
    const result = await ds.migrator().up();
    expect(result.error?.message).toMatch(/BrokenMigration1700000000004 .* it was rolled back and the 3 migration\(s\) before it in this run stay applied/);
    expect(await applied()).toHaveLength(3);
  });

  it('all (--single-transaction): a failure in the last migration leaves the database as it was', async () => {
    dir.add('failing');
    const result = await ds.migrator().up({ transaction: 'all' });
    expect(result.results.map((r) => r.status)).toEqual(['rolled-back', 'rolled-back', 'rolled-back', 'failed']);
    expect(result.error?.message).toMatch(/the whole run was rolled back \(--transaction all\), the 3 migration\(s\) before it included: nothing was changed/);
    expect(await tables()).toEqual([]);
    expect(await applied()).toEqual([]);
  });

  it("honours the DataSource's migrationsTransactionMode, and TypeORM's -t through runMigrations", async () => {
    dir.add('failing');
    const all = fixtureDataSource(db.url, { migrationsDir: dir.dir }, { migrationsTransactionMode: 'all' });
    await all.initialize();
    try {
      expect((await all.migrator().up()).error).toBeDefined();
      expect(await applied()).toEqual([]);
      await expect(ds.runMigrations({ transaction: 'all' })).rejects.toMatchObject({ code: 'migration_failed' });
      expect(await applied()).toEqual([]);
      await expect(ds.runMigrations({ transaction: 'each' })).rejects.toMatchObject({ code: 'migration_failed' });
      expect(await applied()).toHaveLength(3);
    } finally {
      await all.destroy();
    }
  });

  it('all refuses a migration that must run outside a transaction, with one line, before running anything', async () => {
    dir.add('nontx');
    await expect(ds.migrator().up({ transaction: 'all' })).rejects.toThrow(
      /^ConcurrentIndex1700000000006 must run outside a transaction \(transaction = false\), which --transaction all cannot do: apply it on its own with --transaction each/,
    );
    expect(await applied()).toEqual([]);
  });

  it('none: no transaction, so a failing migration keeps its statements before the failure', async () => {
    dir.add('failing');
    const result = await ds.migrator().up({ transaction: 'none' });
    expect(result.error?.message).toContain('it ran without a transaction');
    expect(await tables()).toContain('half_done');
  });

  it('a transaction = false migration runs on a connection of its own, outside a transaction, while the lock is held', async () => {
    dir.add('own-connection');
    expect((await ds.migrator().up()).error).toBeUndefined();
    const { rows } = await client.query('SELECT * FROM where_am_i');
    expect(rows).toEqual([{ in_transaction: false, holds_lock: false, lock_held: true }]);
  });

  it('runs the documented expand / backfill / contract example: CREATE INDEX CONCURRENTLY and a batched backfill', async () => {
    await ds.migrator().up();
    await client.query(`INSERT INTO kittens (name) SELECT 'kitten ' || g FROM generate_series(1, 2500) g`);
    for (const f of readdirSync(EXAMPLE)) copyFileSync(path.join(EXAMPLE, f), path.join(dir.dir, f));
    const result = await ds.migrator().up();
    expect(result.error).toBeUndefined();
    expect(result.results.map((r) => [r.name, r.transaction])).toEqual([
      ['ExpandKittenDisplayName1700000700001', false],
      ['BackfillKittenDisplayName1700000700002', false],
      ['ContractKittenDisplayName1700000700003', true],
    ]);
    const { rows } = await client.query(
      `SELECT count(*)::int AS missing, (SELECT indisvalid FROM pg_index WHERE indexrelid = 'idx_kittens_display_name'::regclass) AS valid,
              (SELECT attnotnull FROM pg_attribute WHERE attrelid = 'kittens'::regclass AND attname = 'display_name') AS not_null
         FROM kittens WHERE display_name IS DISTINCT FROM name`,
    );
    expect(rows).toEqual([{ missing: 0, valid: true, not_null: true }]);
    expect((await ds.migrator().down({ target: 'CreateToys' })).error).toBeUndefined();
  });
});
