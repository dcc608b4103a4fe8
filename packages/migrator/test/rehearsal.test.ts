import { Client } from 'pg';
import { rehearse, type MigrationDataSource } from '../src';
import { formatRehearsal } from '../src/cli/format/rehearsal';
import { parseLintConfig } from '../src/lint/config';
import { admin, createDatabase, type TestDatabase } from './support/database';
import { closeFixtureDatabase, openFixtureDatabase } from './support/fixture-database';
import { fixtureDataSource, migrationsDir, type MigrationsDir } from './support/fixtures';

describe('rehearse', () => {
  let db: TestDatabase;
  let dir: MigrationsDir;
  let ds: MigrationDataSource;

  // A legal PostgreSQL name that a URL must percent-encode (space, %, non-ASCII).
  const awkward = 'cat house%20 ü';

  beforeEach(async () => {
    db = await createDatabase(awkward);
    dir = migrationsDir('basic');
    ds = fixtureDataSource(db.url, { migrationsDir: dir.dir });
    await ds.initialize();
  });
  afterEach(async () => {
    await ds.destroy();
    await db.drop();
    dir.remove();
  });

  const databases = () => admin(async (c) => (await c.query(`SELECT datname FROM pg_database WHERE datname LIKE 'cat house%'`)).rows.map((r) => r.datname));

  it('works on a database whose name needs percent-encoding, and drops its scratch copy', async () => {
    await ds.migrator().up({ steps: 1 });
    const report = await rehearse(ds.migrator());
    expect(report.ok).toBe(true);
    expect(report.replayed).toEqual(['CreateKittens1700000000001']);
    expect(report.steps.map((s) => [s.migration, s.step, s.ok])).toEqual([
      ['AddKittenColor1700000000002', 'up', true],
      ['AddKittenColor1700000000002', 'down', true],
      ['AddKittenColor1700000000002', 'up again', true],
      ['CreateToys1700000000003', 'up', true],
      ['CreateToys1700000000003', 'down', true],
      ['CreateToys1700000000003', 'up again', true],
    ]);
    expect(report.scratchDatabase.startsWith(awkward)).toBe(true);
    expect(await databases()).toEqual([awkward]);
    // The real database was only read.
    const client = new Client({ connectionString: db.url });
    await client.connect();
    try {
      expect((await client.query('SELECT name FROM migrations')).rows).toEqual([{ name: 'CreateKittens1700000000001' }]);
    } finally {
      await client.end();
    }
  });
});

describe('rehearse --with-data: what a migration does to real rows', () => {
  let db: TestDatabase;
  let dir: MigrationsDir;
  let ds: MigrationDataSource;
  let client: Client;

  beforeEach(async () => {
    ({ db, dir, ds, client } = await openFixtureDatabase(['data-base'], { up: true }));
    await client.query(`INSERT INTO cats (id, name, nickname, weight, legacy) VALUES
      (1, 'Tom', 'T', 4.50, 'a'), (2, 'Tom', '7', 4.00, 'b'), (3, 'Tom', NULL, 3.25, NULL), (4, 'Kit', '12', NULL, 'c'), (5, 'Mia', NULL, 5.75, 'd')`);
    await client.query(`INSERT INTO toys (id, cat_id, name) VALUES (1, 1, 'ball'), (2, 1, 'mouse'), (3, 2, 'yarn')`);
  });
  afterEach(async () => {
    await closeFixtureDatabase({ db, dir, ds, client });
  });

  const realIsUnchanged = async () => {
    const { rows } = await client.query(`SELECT (SELECT count(*)::int FROM cats) AS cats, (SELECT count(legacy)::int FROM cats) AS legacy, (SELECT count(*)::int FROM toys) AS toys`);
    expect(rows).toEqual([{ cats: 5, legacy: 4, toys: 3 }]);
    expect((await client.query('SELECT count(*)::int AS n FROM migrations')).rows[0].n).toBe(1);
  };
  const leftover = () => admin(async (c) => (await c.query(`SELECT datname FROM pg_database WHERE datname LIKE $1`, [`${db.name}_rehearse_%`])).rows);
  const rehearseWith = async (set: string, opts: Parameters<typeof rehearse>[1] = {}) => {
    dir.add(set);
    const report = await rehearse(ds.migrator(), { withData: true, ...opts });
    await realIsUnchanged();
    expect(await leftover()).toEqual([]);
    return report;
  };

  it('counts the non-null values a dropped column held, and the ACCESS EXCLUSIVE lock it took', async () => {
    const report = await rehearseWith('data-drop-column');
    expect(report).toMatchObject({ ok: true, mode: 'data', sampled: false });
    expect(report.copied).toEqual([
      { table: 'public.cats', rows: 5, copied: 5, sampled: false },
      { table: 'public.toys', rows: 3, copied: 3, sampled: false },
    ]);
    const [up, down, again] = report.steps;
    expect(up!.destroyed).toEqual({ tables: {}, columns: { 'public.cats.legacy': 4 }, changed: {}, nulled: {}, rows: {}, notRestored: {}, total: 4 });
    expect(up!.exclusiveLocks).toEqual([expect.objectContaining({ relation: 'public.cats', statement: 'ALTER TABLE "cats" DROP COLUMN "legacy"' })]);
    expect(up!.exclusiveLocks[0]!.heldMs).toBeGreaterThanOrEqual(0);
    expect(down!.destroyed.total).toBe(0);
    expect(again!.destroyed.columns).toEqual({}); // down re-added the column empty: nothing left to lose
  });

  it('counts the rows of a dropped table', async () => {
    const report = await rehearseWith('data-drop-table');
    expect(report.steps[0]!.destroyed).toMatchObject({ tables: { 'public.toys': 3 }, total: 3 });
  });

  it('names a relation the step dropped in its lock report, not by its OID (D10)', async () => {
    const report = await rehearseWith('data-drop-table');
    // cats too: dropping the foreign key's triggers locks the referenced table.
    expect(report.steps[0]!.exclusiveLocks.map((l) => l.relation).sort()).toEqual(['public.cats', 'public.toys (dropped)']);
  });

  it('counts the values a type change alters (4.50 -> 5), not those it keeps (4.00 -> 4)', async () => {
    const report = await rehearseWith('data-type-change');
    expect(report.steps[0]!.destroyed).toMatchObject({ changed: { 'public.cats.weight': 3 }, total: 3 });
  });

  it('counts the values a column dropped and added back under the same name lost (TypeORM\'s type change)', async () => {
    const report = await rehearseWith('data-drop-add');
    const [up, down] = report.steps;
    expect(up!.destroyed).toMatchObject({ columns: {}, nulled: { 'public.cats.nickname': 3 }, total: 3 });
    expect(down!.destroyed.total).toBe(0); // the column came back empty: nothing left to lose
    expect(report.destroyedTotal).toBe(3);
  });

  it('counts rows a DELETE removes and values an UPDATE sets to NULL, and flags an empty down()', async () => {
    const report = await rehearseWith('data-delete');
    const [up, down] = report.steps;
    expect(up!.destroyed).toMatchObject({ rows: { 'public.toys': 2 }, nulled: { 'public.cats.legacy': 2 }, total: 4 });
    expect(down).toMatchObject({ ok: true, emptyDown: true });
    expect(up!.emptyDown).toBeUndefined();
    expect(report.warnings).toEqual(['ForgetTomsToys1700000600010: down() is empty, so nothing reverts what up() did']);
    expect(report.destroyedTotal).toBe(4); // up again finds the rows already gone: down() left them so
  });

  it('counts values an UPDATE overwrote that down() does not give back', async () => {
    const report = await rehearseWith('data-update');
    const [up, down] = report.steps;
    expect(up!.destroyed.total).toBe(0);
    expect(up!.overwritten).toEqual({ 'public.cats.name': 5 });
    expect(down!.destroyed).toMatchObject({ notRestored: { 'public.cats.name': 5 }, total: 5 });
    expect(report).toMatchObject({ destroyedTotal: 5, overwrittenTotal: 5 });
  });

  it('does not count values an UPDATE overwrote when down() gives each back', async () => {
    const report = await rehearseWith('data-update-restored');
    expect(report.steps[0]!.overwritten).toEqual({ 'public.cats.name': 5 });
    expect(report.steps[1]!.destroyed.total).toBe(0);
    expect(report).toMatchObject({ ok: true, destroyedTotal: 0, overwrittenTotal: 5 });
  });

  it('reports how long each step and its slowest statements took on the copy', async () => {
    const report = await rehearseWith('data-update');
    expect(report.steps[0]!.statements).toEqual({ count: 1, slowest: [{ sql: 'UPDATE "cats" SET "name" = upper("name")', durationMs: expect.any(Number) }] });
    expect(report.steps[0]!.transaction).toBe(true);
  });

  it('names a statement on a table the database says is large with its time on the copy (issue 31 item 3), and only then', async () => {
    await client.query('ANALYZE cats');
    const report = await rehearseWith('data-update', { lintConfig: parseLintConfig({ largeTable: { rows: 5 } }) });
    expect(report.sizeHints).toEqual([
      expect.objectContaining({ rule: 'large-table-in-transaction', migration: 'ShoutNames1700000600011', objects: ['cats'], detail: expect.stringMatching(/^cats holds about 5 rows/) }),
    ]);
    const text = formatRehearsal(report);
    expect(text).toMatch(/^large table: ShoutNames1700000600011 line \d+: cats holds about 5 rows, .*; the step took \d+(\.\d+)? ms on the copy$/m);
    expect(text).toContain('transaction = false');
    // Below the threshold (the default: a million rows or 1 GB) there is no hint.
    expect((await rehearseWith('data-update-restored')).sizeHints).toEqual([]);
  });

  it('counts what a down() destroys that up() filled', async () => {
    const report = await rehearseWith('data-down-loses');
    const [up, down] = report.steps;
    expect(up!.destroyed.total).toBe(0);
    expect(down!.destroyed).toMatchObject({ columns: { 'public.cats.score': 5 }, total: 5 });
  });

  it.each([
    ['data-not-null', 'NicknameRequired1700000600006', 'ALTER TABLE "cats" ALTER COLUMN "nickname" SET NOT NULL', 'not_null', 2],
    ['data-unique', 'UniqueCatName1700000600007', 'CREATE UNIQUE INDEX "uq_cats_name" ON "cats" ("name")', 'unique', 3],
    ['data-cast', 'NicknameToInteger1700000600008', 'ALTER TABLE "cats" ALTER COLUMN "nickname" TYPE integer USING "nickname"::integer', 'cast', 1],
  ])('a failure on the data (%s) names the migration, the statement and the offending rows', async (set, migration, statement, kind, rows) => {
    const report = await rehearseWith(set);
    expect(report.ok).toBe(false);
    expect(report.steps).toEqual([
      expect.objectContaining({ migration, step: 'up', ok: false, statement, failure: expect.objectContaining({ kind, offendingRows: rows }) }),
    ]);
    expect(report.steps[0]!.error).toContain(migration);
    expect(report.steps[0]!.error).toContain(`(${rows} offending row(s)`);
  });

  it('samples with maxRowsPerTable and says so', async () => {
    const report = await rehearseWith('data-drop-column', { maxRowsPerTable: 2 });
    expect(report.sampled).toBe(true);
    expect(report.copied).toEqual([
      { table: 'public.cats', rows: 5, copied: 2, sampled: true },
      { table: 'public.toys', rows: 3, copied: 2, sampled: true },
    ]);
    expect(report.steps[0]!.destroyed.total).toBeLessThanOrEqual(2);
  });

  it('rehearses on a database given with `on` (a branch), measures the same, and keeps it with the migrations applied', async () => {
    const branch = await createDatabase(`${db.name}_branch`);
    const onDs = fixtureDataSource(branch.url, { migrationsDir: dir.dir });
    try {
      await onDs.initialize();
      await onDs.migrator().up();
      await onDs.query(`INSERT INTO cats (id, name, legacy) VALUES (1, 'Tom', 'a'), (2, 'Kit', NULL)`);
      dir.add('data-drop-column');
      const report = await rehearse(ds.migrator(), { on: onDs });
      expect(report).toMatchObject({ ok: true, mode: 'on', scratchDatabase: branch.name, dropped: false, copied: [] });
      expect(report.steps[0]!.destroyed.columns).toEqual({ 'public.cats.legacy': 1 });
      expect((await onDs.query('SELECT name FROM migrations ORDER BY id')).map((r: { name: string }) => r.name)).toEqual([
        'CreateCatsAndToys1700000600001',
        'DropLegacy1700000600002',
      ]);
      await realIsUnchanged();
    } finally {
      await onDs.destroy();
      await branch.drop();
    }
  });
});

describe('rehearse on a scratch database', () => {
  it("creates the real database's extensions (and their schemas) first, so a history that uses them replays", async () => {
    const db = await createDatabase();
    const dir = migrationsDir('data-base');
    const ds = fixtureDataSource(db.url, { migrationsDir: dir.dir });
    try {
      await ds.initialize();
      await ds.query(`CREATE SCHEMA extensions`);
      await ds.query(`CREATE EXTENSION "uuid-ossp" WITH SCHEMA extensions`);
      await ds.migrator().up();
      dir.add('uses-extension');
      const report = await rehearse(ds.migrator());
      expect(report.extensions).toEqual([{ name: 'uuid-ossp', schema: 'extensions', version: expect.any(String) }]);
      expect(report.steps.map((s) => [s.step, s.ok])).toEqual([['up', true], ['down', true], ['up again', true]]);
      expect(report.ok).toBe(true);
    } finally {
      await ds.destroy();
      await db.drop();
      dir.remove();
    }
  });
});

describe('rehearse on', () => {
  it('refuses the migration database itself', async () => {
    const db = await createDatabase();
    const dir = migrationsDir('data-base');
    const ds = fixtureDataSource(db.url, { migrationsDir: dir.dir });
    const same = fixtureDataSource(db.url, { migrationsDir: dir.dir });
    try {
      await ds.initialize();
      await same.initialize();
      await expect(rehearse(ds.migrator(), { on: same })).rejects.toMatchObject({ code: 'usage', message: expect.stringContaining('--on reaches the migration database itself') });
      expect((await ds.query(`SELECT to_regclass('migrations') AS t`))[0].t).toBeNull();
    } finally {
      await same.destroy();
      await ds.destroy();
      await db.drop();
      dir.remove();
    }
  });
});
