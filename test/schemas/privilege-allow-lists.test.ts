import { Client } from 'pg';
import { AUTH_SCHEMA } from '../../src/db/entities/schema';
import { MigrationDataSource } from '../../src/db/migration-data-source';
import { privilegePolicy } from '../../src/db/privileges';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { testConfig } from '../support/env';

/**
 * Issue 22 L5: the proxy's grants on auth tables were `except` lists, which grant every column
 * not named, so a new secret column of users or sessions reached the proxy at the next `up`. Every
 * other service's grant on an auth table is now an allow-list.
 */
describe('other services read auth tables by allow-list only', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(() => db.drop());

  it('the policy names columns for every grant of another service on an auth table', () => {
    const open: string[] = [];
    for (const [service, grants] of Object.entries(privilegePolicy.roles)) {
      if (service === 'auth') continue;
      for (const [table, grant] of Object.entries((grants as Record<string, Record<string, unknown>>)[AUTH_SCHEMA] ?? {})) {
        const specs = Array.isArray(grant) ? ['whole table'] : Object.values(grant as Record<string, unknown>);
        if (table === '*' || specs.some((s) => typeof s !== 'object' || s === null || !('columns' in s))) open.push(`${service}: auth.${table}`);
      }
    }
    expect(open).toEqual([]);
  });

  it('a column added to users or sessions is granted to no other service by up; the security stamp is the auth service\'s alone', async () => {
    const client = new Client({ connectionString: db.url });
    await client.connect();
    try {
      await client.query(`ALTER TABLE auth.users ADD COLUMN recovery_secret text; ALTER TABLE auth.sessions ADD COLUMN device_secret text`);
      const ds = new MigrationDataSource(testConfig(), db.url, { loadMigrations: false, loadEntities: false });
      await ds.initialize();
      try {
        const result = await ds.migrator().up();
        expect(result.error).toBeUndefined();
      } finally {
        await ds.destroy();
      }
      const config = testConfig();
      const can = async (service: 'catalog' | 'installation' | 'proxy', table: string, column: string) =>
        (await client.query(`SELECT has_column_privilege($1, $2, $3, 'SELECT') AS ok`, [config.roles.services[service].name, `auth.${table}`, column])).rows[0].ok as boolean;
      for (const service of ['catalog', 'installation', 'proxy'] as const) {
        expect([service, await can(service, 'users', 'recovery_secret'), await can(service, 'sessions', 'device_secret'), await can(service, 'users', 'security_stamp')]).toEqual([service, false, false, false]);
      }
      // What the proxy is meant to read it still reads.
      expect(await can('proxy', 'users', 'email')).toBe(true);
      expect(await can('proxy', 'users', 'password_hash')).toBe(false);
    } finally {
      await client.end();
    }
  });
});
