import { Client } from 'pg';
import { rehearse, type MigrationDataSource } from '../src';
import { admin, createDatabase, type TestDatabase } from './support/database';
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
