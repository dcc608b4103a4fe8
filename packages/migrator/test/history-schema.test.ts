import { Client } from 'pg';
import type { MigratorEvent } from '../src';
import { createDatabase, type TestDatabase } from './support/database';
import { fixtureDataSource, migrationsDir, type MigrationsDir } from './support/fixtures';

const HISTORY = { schema: 'tool_history' };
// TypeORM must look where the tool keeps the history: the DataSource says so itself.
const TYPEORM = { migrationsTableName: 'tool_history.migrations' };

describe('a history kept in a schema of its own', () => {
  let db: TestDatabase;
  let dir: MigrationsDir;
  let client: Client;

  beforeEach(async () => {
    db = await createDatabase();
    dir = migrationsDir('basic');
    client = new Client({ connectionString: db.url });
    await client.connect();
  });
  afterEach(async () => {
    await client.end();
    await db.drop();
    dir.remove();
  });

  const tablesIn = async (schema: string) =>
    (await client.query(`SELECT tablename FROM pg_tables WHERE schemaname = $1 ORDER BY 1`, [schema])).rows.map((r) => r.tablename);

  it('creates the schema and keeps both history tables there, nothing of its own in public', async () => {
    const ds = fixtureDataSource(db.url, { migrationsDir: dir.dir, history: HISTORY }, TYPEORM);
    await ds.initialize();
    try {
      const result = await ds.migrator().up();
      expect(result.error).toBeUndefined();
    } finally {
      await ds.destroy();
    }
    expect(await tablesIn('tool_history')).toEqual(['migration_checksums', 'migrations']);
    expect(await tablesIn('public')).toEqual(['kittens', 'toys']);
  });

  it('with moveFrom, reads a history left in public, and moves it (rows, checksums and id sequence) on the next write', async () => {
    const legacy = fixtureDataSource(db.url, { migrationsDir: dir.dir });
    await legacy.initialize();
    try {
      expect((await legacy.migrator().up({ target: 'AddKittenColor' })).error).toBeUndefined();
    } finally {
      await legacy.destroy();
    }
    const events: MigratorEvent[] = [];
    const ds = fixtureDataSource(db.url, { migrationsDir: dir.dir, history: { ...HISTORY, moveFrom: 'public' }, onEvent: (e) => events.push(e) }, TYPEORM);
    await ds.initialize();
    try {
      const before = await ds.migrator().status();
      expect(before.pending).toEqual(['CreateToys1700000000003']);
      expect(before.problems).toEqual([]);
      const result = await ds.migrator().up();
      expect(result.error).toBeUndefined();
      expect(result.results.map((r) => r.name)).toEqual(['CreateToys1700000000003']);
      expect(events).toContainEqual({ type: 'history-moved', from: 'public', to: 'tool_history' });
    } finally {
      await ds.destroy();
    }
    expect(await tablesIn('public')).toEqual(['kittens', 'toys']);
    const rows = await client.query(
      `SELECT m.id, m.name, c.via FROM tool_history.migrations m JOIN tool_history.migration_checksums c USING (name) ORDER BY m.id`,
    );
    expect(rows.rows.map((r) => [r.id, r.name])).toEqual([
      [1, 'CreateKittens1700000000001'],
      [2, 'AddKittenColor1700000000002'],
      [3, 'CreateToys1700000000003'],
    ]);
  });

  it('refuses a history schema TypeORM would not read, naming the DataSource setting, and moves nothing (D4)', async () => {
    const legacy = fixtureDataSource(db.url, { migrationsDir: dir.dir });
    await legacy.initialize();
    try {
      expect((await legacy.migrator().up({ target: 'AddKittenColor' })).error).toBeUndefined();
      expect(() => legacy.migrator().with({ history: HISTORY })).toThrow(
        /the history option names tool_history\.migrations, but TypeORM keeps this DataSource's history in migrations .* set migrationsTableName: 'tool_history\.migrations'/,
      );
    } finally {
      await legacy.destroy();
    }
    // The same schema named by TypeORM's own setting, without moveFrom: a new, empty history there; public untouched.
    const ds = fixtureDataSource(db.url, { migrationsDir: dir.dir, history: HISTORY }, TYPEORM);
    await ds.initialize();
    try {
      expect((await ds.migrator().status()).pending).toHaveLength(3);
    } finally {
      await ds.destroy();
    }
    expect(await tablesIn('public')).toEqual(['kittens', 'migration_checksums', 'migrations']);
  });
});
