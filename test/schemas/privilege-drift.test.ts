import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { adminUrl, withDatabase } from '../support/env';
import { migrate } from '../migrator/support/cli';

/** `migrate up` applies the privilege policy; `check` and `status` report drift from it with the fixing SQL. */

async function sql(url: string, text: string, params: unknown[] = []): Promise<Record<string, unknown>[]> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(text, params)).rows;
  } finally {
    await client.end();
  }
}

describe('privilege drift: check and status fail on it and name the fix; up removes it', () => {
  let db: TestDatabase;
  const env = () => ({ MIGRATION_DATABASE_URL: db.url });

  beforeEach(async () => {
    db = await createTestDatabase();
  });
  afterEach(async () => {
    await db.drop();
  });

  it('a database migrated to head is clean, and a second up changes nothing', async () => {
    const check = await migrate(['check'], env()).done;
    expect(check.stdout).toContain('privileges as the policy says');
    expect(check.code).toBe(0);
    const up = await migrate(['up'], env()).done;
    expect(up.stdout).toContain('privileges: already as the policy says');
    expect(up.code).toBe(0);
  }, 60_000);

  it('a grant added by hand (the proxy reading password hashes) fails check and status with the REVOKE that fixes it; up revokes it', async () => {
    await sql(db.url, `GRANT SELECT ON auth.users TO cathouse_proxy`);
    const check = await migrate(['check'], env()).done;
    expect(check.code).toBe(1);
    expect(check.stdout).toContain('cathouse_proxy has SELECT on auth.users, which the policy does not grant');
    expect(check.stdout).toContain('fix: REVOKE SELECT ON "auth"."users" FROM "cathouse_proxy";');
    // Revoking the table-level SELECT takes the proxy's column SELECTs with it: up grants those again.
    // (the columns the policy lists for it, never password_hash; a new column of auth.users is not among them)
    expect(check.stdout).toMatch(/fix: GRANT SELECT \("id", "email", "role", "display_name", "is_active", "created_at", "updated_at"[^)]*\) ON "auth"\."users" TO "cathouse_proxy";/);
    expect(check.stdout).not.toMatch(/GRANT SELECT \([^)]*"password_hash"/);
    const status = await migrate(['status'], env()).done;
    expect(status.code).toBe(1);
    expect(status.stdout).toContain('REVOKE SELECT ON "auth"."users" FROM "cathouse_proxy";');

    const up = await migrate(['up'], env()).done;
    expect(up.code).toBe(0);
    expect(up.stdout).toContain('REVOKE SELECT ON "auth"."users" FROM "cathouse_proxy";');
    const [{ can }] = await sql(db.url, `SELECT has_column_privilege('cathouse_proxy', 'auth.users', 'password_hash', 'SELECT') AS can`);
    expect(can).toBe(false);
    const [{ email }] = await sql(db.url, `SELECT has_column_privilege('cathouse_proxy', 'auth.users', 'email', 'SELECT') AS email`);
    expect(email).toBe(true);
    expect((await migrate(['check'], env()).done).code).toBe(0);
  }, 60_000);

  it('a missing grant fails check with the GRANT that fixes it; up grants it', async () => {
    await sql(db.url, `REVOKE INSERT ON catalog.cats FROM cathouse_catalog`);
    const check = await migrate(['check', '--json'], env()).done;
    expect(check.code).toBe(1);
    const report = JSON.parse(check.stdout);
    expect(report.privileges.drift).toEqual([
      expect.objectContaining({ kind: 'missing', grantee: 'cathouse_catalog', privilege: 'INSERT', sql: 'GRANT INSERT ON "catalog"."cats" TO "cathouse_catalog"' }),
    ]);
    expect((await migrate(['up'], env()).done).code).toBe(0);
    expect((await migrate(['check'], env()).done).code).toBe(0);
  }, 60_000);

  it('grants to PUBLIC or to a role outside the policy, CREATE on a schema, and changed default privileges are drift too', async () => {
    const outsider = `outsider_${randomBytes(4).toString('hex')}`;
    await sql(db.url, `CREATE ROLE ${outsider}`);
    try {
      await sql(
        db.url,
        `GRANT SELECT ON catalog.cats TO PUBLIC; GRANT SELECT (email) ON auth.users TO ${outsider};
         GRANT CREATE ON SCHEMA auth TO cathouse_auth;
         ALTER DEFAULT PRIVILEGES IN SCHEMA catalog REVOKE DELETE ON TABLES FROM cathouse_catalog`,
      );
      const check = await migrate(['check'], env()).done;
      expect(check.code).toBe(1);
      for (const fix of [
        'REVOKE SELECT ON "catalog"."cats" FROM PUBLIC;',
        `REVOKE SELECT ("email") ON "auth"."users" FROM "${outsider}";`,
        'REVOKE CREATE ON SCHEMA "auth" FROM "cathouse_auth";',
        'ALTER DEFAULT PRIVILEGES FOR ROLE "postgres" IN SCHEMA "catalog" GRANT DELETE ON TABLES TO "cathouse_catalog";',
      ]) {
        expect(check.stdout).toContain(fix);
      }
      expect((await migrate(['up'], env()).done).code).toBe(0);
      expect((await migrate(['check'], env()).done).stdout).toContain('privileges as the policy says');
    } finally {
      await sql(db.url, `DROP OWNED BY ${outsider}`);
      await sql(db.url, `DROP ROLE ${outsider}`);
    }
  }, 60_000);

  it('a table made later in a schema with a * grant gets that grant at once (default privileges), and no other role sees it', async () => {
    await sql(db.url, `CREATE TABLE proxy.later (id int, secret_hash text)`);
    const [{ proxy, auth }] = await sql(
      db.url,
      `SELECT has_table_privilege('cathouse_proxy', 'proxy.later', 'SELECT, INSERT') AS proxy,
              has_table_privilege('cathouse_auth', 'proxy.later', 'SELECT') AS auth`,
    );
    expect({ proxy, auth }).toEqual({ proxy: true, auth: false });
    // Nothing for a later up to do: the proxy's whole-table grant came with the table, and no other role reads the proxy's schema.
    expect((await migrate(['check'], env()).done).stdout).toContain('privileges as the policy says');
  }, 60_000);

  it('a table made later in auth gets nothing until the policy names it (auth is listed table by table, for the append-only audit log)', async () => {
    await sql(db.url, `CREATE TABLE auth.later_too (id int)`);
    const [{ auth }] = await sql(db.url, `SELECT has_table_privilege('cathouse_auth', 'auth.later_too', 'SELECT') AS auth`);
    expect(auth).toBe(false);
    expect((await migrate(['check'], env()).done).stdout).toContain('privileges as the policy says');
  }, 60_000);
});

describe('roles: created only when allowed and asked, otherwise named with the statement to create them', () => {
  let db: TestDatabase;
  const suffix = randomBytes(4).toString('hex');
  const missingRole = `cathouse_proxy_${suffix}`;

  beforeEach(async () => {
    db = await createTestDatabase({ migrated: false });
  });
  afterEach(async () => {
    await db.drop();
  });
  afterAll(async () => {
    await sql(adminUrl(), `DROP ROLE IF EXISTS ${missingRole}`);
  });

  it('without MIGRATION_CREATE_ROLES, up migrates, grants to the roles that exist, and says which role to create', async () => {
    const up = await migrate(['up'], { MIGRATION_DATABASE_URL: db.url, DB_ROLE_PROXY: missingRole }).done;
    expect(up.code).toBe(1);
    expect(up.stdout).toContain('applied  ServiceSchemas');
    expect(up.stdout).toContain(`role ${missingRole} (proxy) does not exist: create it (CREATE ROLE "${missingRole}" LOGIN; then ALTER ROLE "${missingRole}" PASSWORD '...')`);
    const [{ catalog }] = await sql(db.url, `SELECT has_table_privilege('cathouse_catalog', 'catalog.cats', 'INSERT') AS catalog`);
    expect(catalog).toBe(true);
    const [{ n }] = await sql(adminUrl(), `SELECT count(*)::int AS n FROM pg_roles WHERE rolname = $1`, [missingRole]);
    expect(n).toBe(0);
    const status = await migrate(['status'], { MIGRATION_DATABASE_URL: db.url, DB_ROLE_PROXY: missingRole }).done;
    expect(status.code).toBe(1);
    expect(status.stdout).toContain(`missing role: role ${missingRole} (proxy) does not exist`);
  }, 60_000);

  it('with MIGRATION_CREATE_ROLES=true and a migration role that may, up creates the role with its password and grants to it', async () => {
    const up = await migrate(['up'], {
      MIGRATION_DATABASE_URL: db.url,
      DB_ROLE_PROXY: missingRole,
      DB_ROLE_PROXY_PASSWORD: 'made-by-migrate',
      MIGRATION_CREATE_ROLES: 'true',
    }).done;
    expect(up.stderr).toContain(`created role(s) ${missingRole}`);
    expect(up.code).toBe(0);
    const url = new URL(db.url);
    url.username = missingRole;
    url.password = 'made-by-migrate';
    const [{ n }] = await sql(url.toString(), `SELECT count(*)::int AS n FROM catalog.cats`);
    expect(n).toBe(0);
  }, 60_000);

  it('a migration role without CREATEROLE is told so, and still migrates and grants as the owner of the schemas', async () => {
    const owner = `migration_owner_${suffix}`;
    const name = `cathouse_owned_${suffix}`;
    await sql(adminUrl(), `CREATE ROLE ${owner} LOGIN PASSWORD 'owner-password' NOSUPERUSER NOCREATEROLE`);
    await sql(adminUrl(), `CREATE DATABASE ${name} OWNER ${owner}`);
    try {
      const url = new URL(withDatabase(adminUrl(), name));
      url.username = owner;
      url.password = 'owner-password';
      const up = await migrate(['up'], { MIGRATION_DATABASE_URL: url.toString(), DB_ROLE_PROXY: missingRole + 'x', MIGRATION_CREATE_ROLES: 'true' }).done;
      expect(up.code).toBe(1);
      expect(up.stdout).toContain(`the migration role ${owner} has neither SUPERUSER nor CREATEROLE`);
      const [{ catalog }] = await sql(withDatabase(adminUrl(), name), `SELECT has_table_privilege('cathouse_catalog', 'catalog.cats', 'INSERT') AS catalog`);
      expect(catalog).toBe(true);
    } finally {
      await sql(adminUrl(), `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await sql(adminUrl(), `DROP ROLE IF EXISTS ${owner}`);
    }
  }, 60_000);

  it('up --sql shows the grants the run would make, on tables the pending migrations create', async () => {
    const preview = await migrate(['up', '--sql'], { MIGRATION_DATABASE_URL: db.url }).done;
    expect(preview.code).toBe(0);
    expect(preview.stdout).toContain('-- privileges (the policy, applied after the migrations under the same lock)');
    expect(preview.stdout).toContain('GRANT SELECT, INSERT, UPDATE, DELETE ON "auth"."users" TO "cathouse_auth";');
    expect(preview.stdout).toContain('GRANT SELECT ("id", "session_id", "parent_id", "created_at", "expires_at", "used_at") ON "auth"."refresh_tokens" TO "cathouse_proxy";');
    expect(preview.stdout).toContain('GRANT SELECT ON "migrator"."migrations" TO "cathouse_auth";');
    expect(preview.stdout).toContain('ALTER DEFAULT PRIVILEGES FOR ROLE "postgres" IN SCHEMA "catalog" GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO "cathouse_catalog";');
    expect(preview.stdout).toContain('GRANT SELECT ON "auth"."audit_events" TO "cathouse_auth";');
    const [{ n }] = await sql(db.url, `SELECT count(*)::int AS n FROM pg_namespace WHERE nspname IN ('auth', 'migrator')`);
    expect(n).toBe(0);
    // What the preview promised is what the run does.
    const up = await migrate(['up'], { MIGRATION_DATABASE_URL: db.url }).done;
    const granted = (s: string) => s.split('\n').filter((l) => /^\s*(GRANT|REVOKE|ALTER DEFAULT)/.test(l)).map((l) => l.trim().replace(/;$/, '')).sort();
    // The policy's part of the preview (migrations may hold GRANT/REVOKE statements of their own).
    const policyPart = preview.stdout.slice(preview.stdout.indexOf('-- privileges (the policy'));
    expect(granted(up.stdout)).toEqual(granted(policyPart));
  }, 60_000);
});
