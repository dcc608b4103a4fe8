import { Client } from 'pg';
import type { MigrationDataSource } from '../../src';
import { createDatabase, type TestDatabase } from './database';
import { fixtureDataSource, migrationsDir, type MigrationsDir } from './fixtures';

/** A test's own database, a copy of fixture migration sets, a data source over both, and a plain client. */
export interface FixtureDatabase {
  readonly db: TestDatabase;
  readonly dir: MigrationsDir;
  readonly ds: MigrationDataSource;
  readonly client: Client;
}

/** Opens a FixtureDatabase; `up: true` applies its migrations before the client connects. */
export async function openFixtureDatabase(sets: string[], { up = false } = {}): Promise<FixtureDatabase> {
  const db = await createDatabase();
  const dir = migrationsDir(...sets);
  const ds = fixtureDataSource(db.url, { migrationsDir: dir.dir });
  await ds.initialize();
  if (up) await ds.migrator().up();
  const client = new Client({ connectionString: db.url });
  await client.connect();
  return { db, dir, ds, client };
}

/** Undoes openFixtureDatabase: the client, the data source, the database and the copied migrations. */
export async function closeFixtureDatabase({ db, dir, ds, client }: FixtureDatabase): Promise<void> {
  await client.end();
  await ds.destroy();
  await db.drop();
  dir.remove();
}
