import { mergeMigrations, type MigrationDataSource } from '../src';
import { createDatabase, type TestDatabase } from './support/database';
import { fixtureDataSource, migrationsDir, type MigrationsDir } from './support/fixtures';

/**
 * Issue 24 item 3: two developers' migrations merged. Main applied its newer migration first; the
 * branch's database applied the older one. A merge migration (Alembic's merge revision) lets both
 * databases reach the same history with every migration under its own name.
 */
describe('merge: a merged branch reaches every database under its own name', () => {
  let main: TestDatabase;
  let branch: TestDatabase;
  let dir: MigrationsDir;
  let onMain: MigrationDataSource;
  let onBranch: MigrationDataSource;

  beforeEach(async () => {
    [main, branch] = await Promise.all([createDatabase(), createDatabase()]);
    // Each database as its developer left it.
    const mainDir = migrationsDir('merge-base', 'merge-main');
    const branchDir = migrationsDir('merge-base', 'merge-branch');
    for (const [db, d] of [[main, mainDir], [branch, branchDir]] as const) {
      const ds = fixtureDataSource(db.url, { migrationsDir: d.dir });
      await ds.initialize();
      expect((await ds.migrator().up()).error).toBeUndefined();
      await ds.destroy();
      d.remove();
    }
    // The merged code: both branches' files.
    dir = migrationsDir('merge-base', 'merge-main', 'merge-branch');
    onMain = fixtureDataSource(main.url, { migrationsDir: dir.dir });
    onBranch = fixtureDataSource(branch.url, { migrationsDir: dir.dir });
    await Promise.all([onMain.initialize(), onBranch.initialize()]);
  });
  afterEach(async () => {
    await Promise.all([onMain.destroy(), onBranch.destroy()]);
    await Promise.all([main.drop(), branch.drop()]);
    dir.remove();
  });

  const applied = async (ds: MigrationDataSource) => (await ds.query('SELECT name FROM migrations ORDER BY name')).map((r: { name: string }) => r.name);

  it('out of order is a problem whose message names merge first; after merge both databases apply what they miss and agree', async () => {
    const before = await onMain.migrator().status();
    expect(before.problems).toEqual([
      expect.objectContaining({
        code: 'out_of_order',
        migration: 'AddCatTags1700000800002',
        message: expect.stringContaining('merge them (migrator merge: every migration keeps its name, right on every database), or apply it as it is with up --allow-out-of-order; rebase AddCatTags1700000800002'),
      }),
    ]);
    await expect(onMain.migrator().up()).rejects.toMatchObject({ code: 'out_of_order' });

    const merged = await mergeMigrations(onMain.migrator());
    expect(merged.merges).toEqual(['AddCatTags1700000800002']);
    expect(merged.name).toMatch(/^MergeHeads\d{13}$/);

    expect((await onMain.migrator().status()).problems).toEqual([]);
    const mainRun = await onMain.migrator().up();
    expect(mainRun.results.map((r) => r.name)).toEqual(['AddCatTags1700000800002', merged.name]);
    const branchRun = await onBranch.migrator().up();
    expect(branchRun.results.map((r) => r.name)).toEqual(['AddCatToys1700000800003', merged.name]);
    const everything = ['AddCatTags1700000800002', 'AddCatToys1700000800003', 'CreateCats1700000800001', merged.name].sort();
    expect(await applied(onMain)).toEqual(everything);
    expect(await applied(onBranch)).toEqual(everything);
    expect((await onBranch.migrator().status()).problems).toEqual([]);
  });

  it('names the migrations to merge when given, and says when there is nothing to merge', async () => {
    await expect(mergeMigrations(onBranch.migrator())).rejects.toMatchObject({ code: 'usage', message: expect.stringContaining('nothing to merge') });
    const merged = await mergeMigrations(onBranch.migrator(), { revisions: ['AddCatTags'], message: 'merge tags' });
    expect(merged).toMatchObject({ merges: ['AddCatTags1700000800002'], name: expect.stringMatching(/^MergeTags\d{13}$/) });
  });
});
