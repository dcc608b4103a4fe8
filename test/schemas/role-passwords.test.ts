import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { MigrationDataSource } from '../../src/db/migration-data-source';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { adminUrl, testConfig } from '../support/env';

/**
 * Issue 22 L4: `migrate up` created the service roles with `CREATE ROLE ... PASSWORD '<password>'`,
 * quoting the DB_ROLE_*_PASSWORD itself; with standard_conforming_strings=off on the migration
 * connection a backslash before a quote ended the string, and the rest of the password became SQL
 * (it made the role SUPERUSER). Now the statement carries the password's SCRAM verifier only.
 */
describe('service roles created with passwords that hold quotes and backslashes', () => {
  let db: TestDatabase;
  const tag = randomBytes(4).toString('hex');
  const names = { auth: `l4_auth_${tag}`, catalog: `l4_catalog_${tag}`, installation: `l4_installation_${tag}`, proxy: `l4_proxy_${tag}` };
  const passwords = {
    auth: "x\\' SUPERUSER --",
    catalog: "it's a \\\\ backslash and a ' quote",
    installation: 'plain-but-long-password-for-the-installation-role',
    proxy: "ünïcödé \\' CREATEROLE CREATEDB --",
  };
  const admin = async <T>(fn: (c: Client) => Promise<T>) => {
    const c = new Client({ connectionString: adminUrl() });
    await c.connect();
    try {
      return await fn(c);
    } finally {
      await c.end();
    }
  };

  beforeAll(async () => {
    db = await createTestDatabase({ migrated: false });
    // What a server (or a role, or a connection string) set this way gives every new session of the migration.
    await admin((c) => c.query(`ALTER DATABASE ${db.name} SET standard_conforming_strings = off`));
  });
  afterAll(async () => {
    await db.drop();
    await admin(async (c) => {
      for (const name of Object.values(names)) await c.query(`DROP ROLE IF EXISTS ${name}`);
    });
  });

  it('migrate up creates each role as the policy says: no extra attribute, and it logs in with exactly its password', async () => {
    const config = testConfig({
      DB_ROLE_AUTH: names.auth,
      DB_ROLE_CATALOG: names.catalog,
      DB_ROLE_INSTALLATION: names.installation,
      DB_ROLE_PROXY: names.proxy,
      DB_ROLE_AUTH_PASSWORD: passwords.auth,
      DB_ROLE_CATALOG_PASSWORD: passwords.catalog,
      DB_ROLE_INSTALLATION_PASSWORD: passwords.installation,
      DB_ROLE_PROXY_PASSWORD: passwords.proxy,
      MIGRATION_CREATE_ROLES: 'true',
    });
    const ds = new MigrationDataSource(config, db.url, { loadMigrations: false, loadEntities: false });
    await ds.initialize();
    try {
      expect(await ds.query(`SHOW standard_conforming_strings`)).toEqual([{ standard_conforming_strings: 'off' }]);
      const result = await ds.migrator().up();
      expect(result.error).toBeUndefined();
      expect([...(result.privileges?.createdRoles ?? [])].sort()).toEqual(Object.values(names).sort());
    } finally {
      await ds.destroy();
    }
    const roles = await admin((c) =>
      c.query(`SELECT rolname, rolsuper, rolcreaterole, rolcreatedb, rolcanlogin FROM pg_roles WHERE rolname = ANY($1) ORDER BY rolname`, [Object.values(names)]),
    );
    for (const row of roles.rows) expect(row).toMatchObject({ rolsuper: false, rolcreaterole: false, rolcreatedb: false, rolcanlogin: true });
    for (const service of Object.keys(names) as (keyof typeof names)[]) {
      const url = new URL(db.url);
      const client = new Client({ host: url.hostname, port: Number(url.port), database: db.name, user: names[service], password: passwords[service] });
      await client.connect();
      expect((await client.query(`SELECT current_user AS who`)).rows).toEqual([{ who: names[service] }]);
      await client.end();
    }
  });
});
