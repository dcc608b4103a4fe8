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

  it('creates the tables of all four services', async () => {
    const tables = await rows(`SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1`);
    expect(tables.map((t) => t.table_name)).toEqual([
      'cats',
      'installation_permissions',
      'installations',
      'migration_checksums',
      'migrations',
      'permissions',
      'proxy_request_logs',
      'rate_limits',
      'refresh_tokens',
      'sessions',
      'users',
    ]);
  });

  it('uses real types: uuid keys, timestamptz, jsonb, inet, bytea and enums', async () => {
    const types = await rows(
      `SELECT table_name || '.' || column_name AS col, udt_name FROM information_schema.columns WHERE table_schema = 'public'`,
    );
    const typeOf = Object.fromEntries(types.map((t) => [t.col, t.udt_name]));
    expect(typeOf['users.id']).toBe('uuid');
    expect(typeOf['users.role']).toBe('user_role');
    expect(typeOf['users.created_at']).toBe('timestamptz');
    expect(typeOf['cats.status']).toBe('cat_status');
    expect(typeOf['permissions.permission_type']).toBe('permission_type');
    expect(typeOf['installations.config']).toBe('jsonb');
    expect(typeOf['installations.status']).toBe('installation_status');
    expect(typeOf['sessions.ip']).toBe('inet');
    expect(typeOf['refresh_tokens.token_hash']).toBe('bytea');
    expect(typeOf['proxy_request_logs.created_at']).toBe('timestamptz');
    const enums = await rows(
      `SELECT t.typname, array_agg(e.enumlabel ORDER BY e.enumsortorder)::text[] AS labels
         FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid GROUP BY t.typname ORDER BY 1`,
    );
    expect(enums).toEqual([
      { typname: 'cat_status', labels: ['draft', 'published', 'suspended'] },
      { typname: 'installation_status', labels: ['active', 'paused', 'uninstalled'] },
      { typname: 'permission_type', labels: ['storage', 'notification', 'external_api'] },
      { typname: 'user_role', labels: ['player', 'developer', 'admin'] },
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
      'cats.developer_id -> users NO ACTION',
      'installation_permissions.installation_id -> installations CASCADE',
      'installation_permissions.permission_id -> permissions CASCADE',
      'installations.cat_id -> cats NO ACTION',
      'installations.user_id -> users NO ACTION',
      'permissions.cat_id -> cats CASCADE',
      'proxy_request_logs.installation_id -> installations NO ACTION',
      'refresh_tokens.parent_id -> refresh_tokens SET NULL',
      'refresh_tokens.session_id -> sessions CASCADE',
      'sessions.user_id -> users CASCADE',
    ]);
  });

  it('has the unique constraints, composite primary key and indexes of the design', async () => {
    const indexes = await rows(
      `SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' AND tablename <> 'migrations' ORDER BY 1`,
    );
    const columnsOf = (name: string) => {
      const def = indexes.find((i) => i.indexname === name)?.indexdef as string | undefined;
      return def ? `${def.includes('UNIQUE') ? 'unique ' : ''}${/\((.*)\)/.exec(def)![1]}` : undefined;
    };
    expect(columnsOf('uq_users_email')).toBe('unique email');
    expect(columnsOf('idx_users_role_is_active')).toBe('role, is_active');
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
    await client.query(`INSERT INTO users (email, password_hash) VALUES ('cat@example.com', 'x')`);
    await expect(client.query(`INSERT INTO users (email, password_hash) VALUES ('Cat@Example.com', 'x')`)).rejects.toThrow(
      /chk_users_email_normalized/,
    );
    await expect(client.query(`INSERT INTO users (email, password_hash) VALUES ('cat@example.com', 'x')`)).rejects.toThrow(
      /uq_users_email/,
    );
  });

  it('gives new users the player role, active, with generated ids and timestamps', async () => {
    const [user] = await rows(`INSERT INTO users (email, password_hash) VALUES ('new@example.com', 'x') RETURNING *`);
    expect(user).toMatchObject({ role: 'player', is_active: true, display_name: null });
    expect(user.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(user.created_at).toBeInstanceOf(Date);
  });

  it('agrees with the entities: migration:generate finds nothing to generate on a database at head', async () => {
    const result = await run('npm', ['run', '--silent', 'migration:generate', '--', 'src/migrations/ShouldNotExist'], {
      env: { ...process.env, MIGRATION_DATABASE_URL: db.url, NODE_ENV: 'test' },
    }).catch((err: { code: number; stdout: string; stderr: string }) => err);
    expect(`${result.stdout}${result.stderr}`).toContain('No changes in database schema were found');
  });

  it('reverts cleanly: every migration down to base leaves no table or type behind but the history', async () => {
    const scratch = await createTestDatabase({ migrated: true });
    const migrations = new MigrationDataSource(testConfig(), scratch.url);
    await migrations.initialize();
    const result = await migrations.migrator().down({ target: 'base' });
    expect(result.error).toBeUndefined();
    const left = await migrations.query(
      `SELECT DISTINCT relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'public' AND c.relkind IN ('r', 'i') AND relname NOT LIKE 'migration%' AND relname <> 'pk_migrations'
       UNION ALL SELECT DISTINCT typname FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid`,
    );
    await migrations.destroy();
    await scratch.drop();
    expect(left).toEqual([]);
  });
});
