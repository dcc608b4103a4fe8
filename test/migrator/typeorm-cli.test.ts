import { Client } from 'pg';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { start } from './support/cli';

/** The plain TypeORM CLI on the migration data source (`npm run typeorm -- <command> -d data-source.ts`). */
describe('npm run typeorm on the migration data source', () => {
  let db: TestDatabase;

  beforeEach(async () => {
    db = await createTestDatabase(); // migrated to head: the shared database as a deploy finds it
  });
  afterEach(() => db.drop());

  const typeorm = (command: string) =>
    start('npm', ['run', '--silent', 'typeorm', '--', command, '-d', 'data-source.ts'], { MIGRATION_DATABASE_URL: db.url }).done;
  const tables = async () => {
    const client = new Client({ connectionString: db.url });
    await client.connect();
    try {
      return (await client.query(`SELECT count(*)::int AS n FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema')`)).rows[0].n as number;
    } finally {
      await client.end();
    }
  };

  it.each([
    ['schema:drop', /schema:drop is refused on the migration data source: .*use down base/],
    ['schema:sync', /schema:sync is refused on the migration data source: .*generate a migration/],
  ])('%s is refused with one line saying what to use instead, and nothing is dropped or changed', async (command, message) => {
    const before = await tables();
    expect(before).toBeGreaterThan(2);
    const r = await typeorm(command);
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toEqual([expect.stringMatching(message)]);
    expect(await tables()).toBe(before);
  }, 60_000);
});
