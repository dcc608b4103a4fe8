import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Client } from 'pg';
import { MigrationDataSource } from '../src/db/migration-data-source';
import { createTestDatabase, type TestDatabase } from './support/database';
import { testConfig } from './support/env';

const run = promisify(execFile);

describe('the shared schema created by the initial migration', () => {
  let db: TestDatabase;
  let client: Client;

  beforeAll(async () => {
    db = await createTestDatabase({ migrated: false });
    const migrations = new MigrationDataSource(testConfig(), db.url);
    await migrations.initialize();
    await migrations.runMigrations({ transaction: 'each' });
    await migrations.destroy();
    client = new Client({ connectionString: db.url });
    await client.connect();
  });

  afterAll(async () => {
    await client.end();
    await db.drop();
  });

  const rows = async (sql: string, params: unknown[] = []) => (await client.query(sql, params)).rows;

  it("creates the tables of all four services, each in its service's schema, and the history in the tool's own", async () => {
    const tables = await rows(
      `SELECT table_schema || '.' || table_name AS t FROM information_schema.tables
        WHERE table_schema NOT IN ('pg_catalog', 'information_schema', 'auth_audit') ORDER BY 1`,
    );
    // auth_audit holds the audit log's partitions: one a month (this one and the next three) and the DEFAULT one.
    const partitions = await rows(`SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'auth.audit_events'::regclass`);
    expect(partitions.map((p) => p.relname).sort()).toEqual(
      [...[0, 1, 2, 3].map((m) => `audit_events_${monthOf(m)}`), 'audit_events_default'].sort(),
    );
    expect(tables.map((t) => t.t)).toEqual([
      'auth.account_tokens',
      'auth.audit_events',
      'auth.connected_apps',
      'auth.device_authorizations',
      // Security events (issue 29): the events, their deliveries, webhooks and SSF streams, per-subject sequences.
      'auth.event_deliveries',
      'auth.event_subscriptions',
      // Issue 25: identities of other providers (Apple, Google).
      'auth.identities',
      'auth.mail_outbox',
      'auth.mfa_challenges',
      'auth.oidc_clients',
      'auth.oidc_models',
      'auth.personal_access_tokens',
      'auth.rate_limits',
      'auth.recovery_codes',
      'auth.redirect_handoffs',
      'auth.refresh_tokens',
      'auth.security_event_subjects',
      'auth.security_events',
      'auth.service_clients',
      'auth.sessions',
      'auth.totp_factors',
      'auth.users',
      'auth.webauthn_challenges',
      'auth.webauthn_credentials',
      'catalog.cats',
      'catalog.permissions',
      'installation.installation_permissions',
      'installation.installations',
      'migrator.migration_checksums',
      'migrator.migrations',
      'proxy.proxy_request_logs',
    ]);
  });

  it('uses real types: uuid keys, timestamptz, jsonb, inet, bytea and enums', async () => {
    const types = await rows(
      `SELECT table_name || '.' || column_name AS col, udt_schema || '.' || udt_name AS udt_name FROM information_schema.columns
        WHERE table_schema IN ('auth', 'catalog', 'installation', 'proxy')`,
    );
    const typeOf = Object.fromEntries(types.map((t) => [t.col, t.udt_name]));
    expect(typeOf['users.id']).toBe('pg_catalog.uuid');
    expect(typeOf['users.role']).toBe('auth.user_role');
    expect(typeOf['users.created_at']).toBe('pg_catalog.timestamptz');
    expect(typeOf['cats.status']).toBe('catalog.cat_status');
    expect(typeOf['permissions.permission_type']).toBe('catalog.permission_type');
    expect(typeOf['installations.config']).toBe('pg_catalog.jsonb');
    expect(typeOf['installations.status']).toBe('installation.installation_status');
    expect(typeOf['sessions.ip']).toBe('pg_catalog.inet');
    expect(typeOf['refresh_tokens.token_hash']).toBe('pg_catalog.bytea');
    expect(typeOf['proxy_request_logs.created_at']).toBe('pg_catalog.timestamptz');
    const enums = await rows(
      `SELECT t.typnamespace::regnamespace::text || '.' || t.typname AS typname, array_agg(e.enumlabel ORDER BY e.enumsortorder)::text[] AS labels
         FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid GROUP BY 1 ORDER BY 1`,
    );
    expect(enums).toEqual([
      // Issue 25 appended guest (guest players).
      { typname: 'auth.user_role', labels: ['player', 'developer', 'admin', 'guest'] },
      { typname: 'catalog.cat_status', labels: ['draft', 'published', 'suspended'] },
      { typname: 'catalog.permission_type', labels: ['storage', 'notification', 'external_api'] },
      { typname: 'installation.installation_status', labels: ['active', 'paused', 'uninstalled'] },
    ]);
  });

  it('puts foreign keys and their cascades where the design says', async () => {
    const fks = await rows(`
      SELECT c.conrelid::regclass::text || '.' || a.attname || ' -> ' || c.confrelid::regclass::text AS fk,
             c.confdeltype AS on_delete
        FROM pg_constraint c JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
       WHERE c.contype = 'f' ORDER BY 1`);
    const onDelete = { a: 'NO ACTION', c: 'CASCADE', n: 'SET NULL', r: 'RESTRICT', d: 'SET DEFAULT' } as const;
    expect(fks.map((f) => `${f.fk} ${onDelete[f.on_delete as keyof typeof onDelete]}`)).toEqual([
      'auth.account_tokens.user_id -> auth.users CASCADE',
      // The OpenID provider (issue 27): a consent goes with its player, client or installation; a client with its cat.
      'auth.connected_apps.client_id -> auth.oidc_clients CASCADE',
      'auth.connected_apps.installation_id -> installation.installations CASCADE',
      'auth.connected_apps.user_id -> auth.users CASCADE',
      // Developer credentials (issue 28): a device login and a personal access token go with their user.
      'auth.device_authorizations.user_id -> auth.users CASCADE',
      // Security events (issue 29): deliveries go with their event or subscription, a stream with its service
      // client. security_events.user_id has no foreign key: events outlive nothing they name (users are anonymised, not deleted).
      'auth.event_deliveries.event_id -> auth.security_events CASCADE',
      'auth.event_deliveries.subscription_id -> auth.event_subscriptions CASCADE',
      'auth.event_subscriptions.client_id -> auth.service_clients CASCADE',
      // Issue 25: an identity goes with its user.
      'auth.identities.user_id -> auth.users CASCADE',
      // Second factors (issue 26) go with their user.
      'auth.mfa_challenges.user_id -> auth.users CASCADE',
      'auth.oidc_clients.cat_id -> catalog.cats CASCADE',
      'auth.oidc_clients.created_by -> auth.users SET NULL',
      'auth.personal_access_tokens.user_id -> auth.users CASCADE',
      'auth.recovery_codes.user_id -> auth.users CASCADE',
      'auth.redirect_handoffs.user_id -> auth.users CASCADE',
      // auth.refresh_tokens.parent_id has no foreign key since issue 9 H2 (test/db/foreign-key-indexes.test.ts).
      'auth.refresh_tokens.session_id -> auth.sessions CASCADE',
      'auth.sessions.user_id -> auth.users CASCADE',
      'auth.totp_factors.user_id -> auth.users CASCADE',
      'auth.webauthn_credentials.user_id -> auth.users CASCADE',
      'catalog.cats.developer_id -> auth.users NO ACTION',
      'catalog.permissions.cat_id -> catalog.cats CASCADE',
      'installation.installation_permissions.installation_id -> installation.installations CASCADE',
      'installation.installation_permissions.permission_id -> catalog.permissions CASCADE',
      'installation.installations.cat_id -> catalog.cats NO ACTION',
      'installation.installations.user_id -> auth.users NO ACTION',
      'proxy.proxy_request_logs.installation_id -> installation.installations NO ACTION',
    ]);
  });

  it('has the unique constraints, composite primary key and indexes of the design', async () => {
    const indexes = await rows(
      `SELECT indexname, indexdef, schemaname FROM pg_indexes WHERE schemaname IN ('auth', 'catalog', 'installation', 'proxy') ORDER BY 1`,
    );
    const schemaOf = (name: string) => indexes.find((i) => i.indexname === name)?.schemaname as string | undefined;
    expect(schemaOf('idx_users_role_is_active_created_at_id')).toBe('auth');
    expect(schemaOf('idx_cats_status')).toBe('catalog');
    expect(schemaOf('idx_installations_user_id_status')).toBe('installation');
    expect(schemaOf('idx_proxy_request_logs_installation_id_created_at')).toBe('proxy');
    const columnsOf = (name: string) => {
      const def = indexes.find((i) => i.indexname === name)?.indexdef as string | undefined;
      return def ? `${def.includes('UNIQUE') ? 'unique ' : ''}${/\((.*)\)/.exec(def)![1]}` : undefined;
    };
    expect(columnsOf('uq_users_email')).toBe('unique email');
    // Issue 11 extended the design's (role, is_active) index with the admin list's keyset order.
    expect(columnsOf('idx_users_role_is_active_created_at_id')).toBe('role, is_active, created_at, id');
    expect(columnsOf('idx_users_email_pattern')).toBe('email varchar_pattern_ops');
    expect(columnsOf('uq_refresh_tokens_token_hash')).toBe('unique token_hash');
    expect(columnsOf('idx_cats_status')).toBe('status');
    expect(columnsOf('idx_cats_developer_id_status')).toBe('developer_id, status');
    expect(columnsOf('idx_permissions_cat_id_permission_type')).toBe('cat_id, permission_type');
    expect(columnsOf('uq_installations_user_id_cat_id_instance_name')).toBe('unique user_id, cat_id, instance_name');
    expect(columnsOf('idx_installations_user_id_status')).toBe('user_id, status');
    expect(columnsOf('idx_installations_last_interaction_at')).toBe('last_interaction_at');
    expect(columnsOf('pk_installation_permissions')).toBe('unique installation_id, permission_id');
    expect(columnsOf('idx_proxy_request_logs_installation_id_created_at')).toBe('installation_id, created_at');
  });

  it('makes email uniqueness case-insensitive in the database, not just in code', async () => {
    await client.query(`INSERT INTO auth.users (email, password_hash) VALUES ('cat@example.com', 'x')`);
    await expect(client.query(`INSERT INTO auth.users (email, password_hash) VALUES ('Cat@Example.com', 'x')`)).rejects.toThrow(
      /chk_users_email_normalized/,
    );
    await expect(client.query(`INSERT INTO auth.users (email, password_hash) VALUES ('cat@example.com', 'x')`)).rejects.toThrow(
      /uq_users_email/,
    );
  });

  it('gives new users the player role, active, with generated ids and timestamps', async () => {
    const [user] = await rows(`INSERT INTO auth.users (email, password_hash) VALUES ('new@example.com', 'x') RETURNING *`);
    expect(user).toMatchObject({ role: 'player', is_active: true, display_name: null });
    expect(user.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(user.created_at).toBeInstanceOf(Date);
  });

  it('agrees with the entities: migration:generate finds nothing to generate on a database at head', async () => {
    const result = await run('npm', ['run', '--silent', 'migration:generate', '--', 'src/migrations/ShouldNotExist'], {
      env: { ...process.env, MIGRATION_DATABASE_URL: db.url, NODE_ENV: 'test' },
    }).catch((err: { code: number; stdout: string; stderr: string }) => err);
    expect(`${result.stdout}${result.stderr}`).toContain('nothing to generate: compared');
  });

  it('reverts cleanly: every migration down to base leaves no table or type behind but the history', async () => {
    const scratch = await createTestDatabase({ migrated: true });
    const migrations = new MigrationDataSource(testConfig(), scratch.url);
    await migrations.initialize();
    const result = await migrations.migrator().down({ target: 'base' });
    expect(result.error).toBeUndefined();
    const left = await migrations.query(
      `SELECT DISTINCT n.nspname || '.' || relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast', 'migrator') AND c.relkind IN ('r', 'i', 'S')
       UNION ALL SELECT DISTINCT typname FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid
       UNION ALL SELECT nspname FROM pg_namespace WHERE nspname IN ('auth', 'catalog', 'installation', 'proxy')`,
    );
    await migrations.destroy();
    await scratch.drop();
    expect(left).toEqual([]);
  });
});

/** YYYY_MM of the month `ahead` months after this one (UTC). */
function monthOf(ahead: number): string {
  const d = new Date();
  const m = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + ahead, 1));
  return `${m.getUTCFullYear()}_${String(m.getUTCMonth() + 1).padStart(2, '0')}`;
}
