import { Client, type DatabaseError } from 'pg';
import type { ServiceName } from '../../src/config/config';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { asServiceRole } from '../support/env';

/**
 * Each service's login role against a database migrated to head (the policy applied by `up`),
 * over real connections: what it may do, and PostgreSQL's own refusal of what it may not.
 */

/** PostgreSQL's insufficient_privilege: "permission denied for ..." or "must be owner of ...". */
const INSUFFICIENT_PRIVILEGE = '42501';

describe('each service role can do exactly what the privilege policy says', () => {
  let db: TestDatabase;
  let admin: Client;
  const clients = new Map<ServiceName, Client>();
  let userId: string;
  let catId: string;
  let installationId: string;

  const as = (service: ServiceName) => clients.get(service)!;
  const refused = async (service: ServiceName, sql: string, params: unknown[] = []) => {
    const err = (await as(service)
      .query(sql, params)
      .then(() => null)
      .catch((e: DatabaseError) => e)) as DatabaseError | null;
    expect({ sql, code: err?.code, message: err?.message }).toEqual({
      sql,
      code: INSUFFICIENT_PRIVILEGE,
      message: expect.stringMatching(/^(permission denied for (table|schema|database|relation) \w+|must be owner of (table|relation) \w+)$/),
    });
  };

  beforeAll(async () => {
    db = await createTestDatabase();
    admin = new Client({ connectionString: db.url });
    await admin.connect();
    for (const service of ['auth', 'catalog', 'installation', 'proxy'] as const) {
      const client = new Client({ connectionString: asServiceRole(db.url, service) });
      await client.connect();
      clients.set(service, client);
    }
    ({
      rows: [{ id: userId }],
    } = await admin.query(`INSERT INTO auth.users (email, password_hash, role) VALUES ('dev@cathouse.example', 'x', 'developer') RETURNING id`));
  });

  afterAll(async () => {
    for (const client of clients.values()) await client.end();
    await admin.end();
    await db.drop();
  });

  it('connects as the configured login role of each service', async () => {
    for (const [service, client] of clients) {
      const { rows } = await client.query('SELECT current_user AS me');
      expect(rows[0].me).toBe(`cathouse_${service}`);
    }
  });

  describe('catalog', () => {
    it('inserts a cat and its permissions, and reads a user role', async () => {
      ({
        rows: [{ id: catId }],
      } = await as('catalog').query(
        `INSERT INTO catalog.cats (developer_id, name, version, endpoint_url) VALUES ($1, 'Purr', '1.0.0', 'https://purr.example') RETURNING id`,
        [userId],
      ));
      await as('catalog').query(`INSERT INTO catalog.permissions (cat_id, permission_type) VALUES ($1, 'storage')`, [catId]);
      await as('catalog').query(`UPDATE catalog.cats SET status = 'published' WHERE id = $1`, [catId]);
      const { rows } = await as('catalog').query(`SELECT id, role, is_active FROM auth.users WHERE id = $1`, [userId]);
      expect(rows).toEqual([{ id: userId, role: 'developer', is_active: true }]);
    });

    it('may not read password_hash or email, update users, drop or alter a table, or write another schema', async () => {
      await refused('catalog', `SELECT password_hash FROM auth.users`);
      await refused('catalog', `SELECT email FROM auth.users`);
      await refused('catalog', `SELECT * FROM auth.users`);
      await refused('catalog', `UPDATE auth.users SET role = 'admin' WHERE id = $1`, [userId]);
      await refused('catalog', `SELECT token_hash FROM auth.refresh_tokens`);
      await refused('catalog', `DROP TABLE catalog.cats`);
      await refused('catalog', `ALTER TABLE catalog.cats ADD COLUMN sneaky text`);
      await refused('catalog', `CREATE TABLE catalog.extra (id int)`);
      await refused('catalog', `TRUNCATE catalog.cats`);
      await refused('catalog', `INSERT INTO installation.installations (user_id, cat_id, instance_name) VALUES ($1, $2, 'x')`, [userId, catId]);
      await refused('catalog', `INSERT INTO proxy.proxy_request_logs (installation_id, cat_id, user_id, action, status_code, duration_ms)
                                 VALUES (gen_random_uuid(), $1, $2, 'x', 200, 1)`, [catId, userId]);
    });
  });

  describe('installation', () => {
    it('installs a cat (reading the catalog and a user role) and records granted permissions', async () => {
      const { rows: cats } = await as('installation').query(`SELECT c.id, p.id AS permission_id FROM catalog.cats c JOIN catalog.permissions p ON p.cat_id = c.id`);
      expect(cats).toHaveLength(1);
      const { rows: users } = await as('installation').query(`SELECT role FROM auth.users WHERE id = $1`, [userId]);
      expect(users[0].role).toBe('developer');
      ({
        rows: [{ id: installationId }],
      } = await as('installation').query(
        `INSERT INTO installation.installations (user_id, cat_id, instance_name) VALUES ($1, $2, 'mine') RETURNING id`,
        [userId, catId],
      ));
      await as('installation').query(
        `INSERT INTO installation.installation_permissions (installation_id, permission_id, granted) VALUES ($1, $2, true)`,
        [installationId, cats[0].permission_id],
      );
    });

    it('may not write the catalog, read secrets, or change any schema', async () => {
      await refused('installation', `UPDATE catalog.cats SET name = 'mine now'`);
      await refused('installation', `DELETE FROM catalog.permissions`);
      await refused('installation', `SELECT password_hash FROM auth.users`);
      await refused('installation', `SELECT * FROM auth.sessions`);
      await refused('installation', `DROP TABLE installation.installations`);
      await refused('installation', `CREATE TABLE installation.extra (id int)`);
    });
  });

  describe('proxy', () => {
    it('appends to its request log and reads the other services, secrets excepted', async () => {
      await as('proxy').query(
        `INSERT INTO proxy.proxy_request_logs (installation_id, cat_id, user_id, action, status_code, duration_ms) VALUES ($1, $2, $3, 'feed', 200, 12)`,
        [installationId, catId, userId],
      );
      const { rows } = await as('proxy').query(
        `SELECT u.email, u.role, i.instance_name, c.name FROM installation.installations i
           JOIN catalog.cats c ON c.id = i.cat_id JOIN auth.users u ON u.id = i.user_id`,
      );
      expect(rows).toEqual([{ email: 'dev@cathouse.example', role: 'developer', instance_name: 'mine', name: 'Purr' }]);
      await as('proxy').query(`SELECT id, session_id, expires_at, used_at FROM auth.refresh_tokens`);
      await as('proxy').query(`SELECT id, user_id, revoked_at FROM auth.sessions`);
    });

    it('may not read password hashes or refresh-token hashes, rewrite its log, or write another schema', async () => {
      await refused('proxy', `SELECT password_hash FROM auth.users`);
      await refused('proxy', `SELECT * FROM auth.users`);
      await refused('proxy', `SELECT token_hash FROM auth.refresh_tokens`);
      await refused('proxy', `SELECT key FROM auth.rate_limits`);
      await refused('proxy', `UPDATE proxy.proxy_request_logs SET status_code = 500`);
      await refused('proxy', `DELETE FROM proxy.proxy_request_logs`);
      await refused('proxy', `UPDATE installation.installations SET status = 'paused'`);
      await refused('proxy', `INSERT INTO catalog.permissions (cat_id, permission_type) VALUES ($1, 'storage')`, [catId]);
      await refused('proxy', `UPDATE auth.users SET is_active = false`);
    });
  });

  describe('auth (the runtime)', () => {
    it('reads and writes every auth table and reads the migration history', async () => {
      await as('auth').query(`UPDATE auth.users SET display_name = 'Dev' WHERE id = $1`, [userId]);
      const { rows } = await as('auth').query(`SELECT password_hash FROM auth.users WHERE id = $1`, [userId]);
      expect(rows[0].password_hash).toBe('x');
      const { rows: s } = await as('auth').query(`INSERT INTO auth.sessions (user_id, expires_at) VALUES ($1, now() + interval '1 day') RETURNING id`, [userId]);
      await as('auth').query(`INSERT INTO auth.refresh_tokens (session_id, token_hash, expires_at) VALUES ($1, '\\x00', now() + interval '1 day')`, [s[0].id]);
      await as('auth').query(`DELETE FROM auth.sessions WHERE id = $1`, [s[0].id]);
      await as('auth').query(`INSERT INTO auth.rate_limits (key, points, expire) VALUES ('k', 1, NULL)`);
      expect((await as('auth').query(`SELECT count(*)::int AS n FROM migrator.migrations`)).rows[0].n).toBeGreaterThan(0);
    });

    it('runs no DDL anywhere and reads no other service', async () => {
      await refused('auth', `CREATE TABLE auth.extra (id int)`);
      await refused('auth', `CREATE TABLE public.extra (id int)`);
      await refused('auth', `ALTER TABLE auth.users ADD COLUMN sneaky text`);
      await refused('auth', `DROP TABLE auth.rate_limits`);
      await refused('auth', `CREATE INDEX idx_sneaky ON auth.users (display_name)`);
      await refused('auth', `TRUNCATE auth.sessions`);
      await refused('auth', `CREATE SCHEMA sneaky`);
      await refused('auth', `SELECT * FROM migrator.migration_checksums`);
      await refused('auth', `DELETE FROM migrator.migrations`);
      await refused('auth', `SELECT * FROM catalog.cats`);
      await refused('auth', `SELECT * FROM proxy.proxy_request_logs`);
    });

    it('reads only what token exchange needs of an installation and its cat (issue 12), and writes none of it', async () => {
      await as('auth').query(
        `SELECT i.id, i.user_id, i.cat_id, i.status, c.status, p.permission_type, ip.granted
           FROM installation.installations i JOIN catalog.cats c ON c.id = i.cat_id
           LEFT JOIN installation.installation_permissions ip ON ip.installation_id = i.id
           LEFT JOIN catalog.permissions p ON p.id = ip.permission_id`,
      );
      await refused('auth', `SELECT config FROM installation.installations`);
      await refused('auth', `SELECT endpoint_url FROM catalog.cats`);
      await refused('auth', `UPDATE installation.installations SET status = 'active'`);
      await refused('auth', `UPDATE catalog.cats SET status = 'published'`);
    });
  });

  it('no role but auth can read a column that holds a password or a token hash, in any table of any schema', async () => {
    const { rows } = await admin.query(
      `SELECT r.rolname AS role, n.nspname || '.' || c.relname || '.' || a.attname AS col
         FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
         CROSS JOIN pg_roles r
        WHERE c.relkind IN ('r', 'p', 'v', 'm') AND a.attnum > 0 AND NOT a.attisdropped
          AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%'
          AND (a.attname ~ '(hash|password|secret)')
          AND r.rolname LIKE 'cathouse\\_%' AND r.rolname <> 'cathouse_auth'
          AND has_column_privilege(r.oid, c.oid, a.attnum, 'SELECT')`,
    );
    expect(rows).toEqual([]);
  });
});
