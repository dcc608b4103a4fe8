import { Client } from 'pg';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { testConfig } from '../support/env';

/**
 * The auth runtime's grants are listed table by table (src/db/privileges.ts: the audit log is
 * append-only for it), so a new auth table is out of the runtime's reach until it has its line.
 * Tests connect as the migration role and would not notice; production, as DB_ROLE_AUTH, answers
 * 42501 on every request that touches the table. Here each auth table is used as the runtime role.
 */
describe('the auth runtime role can use every auth table', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(() => db.drop());

  it('reads every table of the auth schema, and writes every one but the append-only audit log', async () => {
    const role = testConfig().roles.services.auth.name;
    const client = new Client({ connectionString: db.url });
    await client.connect();
    try {
      const { rows } = await client.query<{ name: string }>(
        `SELECT c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE n.nspname = 'auth' AND c.relkind IN ('r', 'p') AND NOT c.relispartition ORDER BY 1`,
      );
      expect(rows.length).toBeGreaterThan(20);
      const refused: string[] = [];
      await client.query('BEGIN');
      await client.query(`SET LOCAL ROLE "${role}"`);
      for (const { name } of rows) {
        const privileges = name === 'audit_events' ? ['SELECT', 'INSERT'] : ['SELECT', 'INSERT', 'UPDATE', 'DELETE'];
        for (const privilege of privileges) {
          // The audit log's INSERT is granted column by column (not its id and time), so any column's will do.
          const check = name === 'audit_events' ? 'has_any_column_privilege' : 'has_table_privilege';
          const { rows: [ok] } = await client.query<{ has: boolean }>(`SELECT ${check}($1, $2, $3) AS has`, [role, `auth.${name}`, privilege]);
          if (!ok.has) refused.push(`${privilege} auth.${name}`);
        }
        await client.query(`SELECT 1 FROM auth."${name}" LIMIT 0`);
      }
      await client.query('ROLLBACK');
      expect(refused).toEqual([]);
    } finally {
      await client.end();
    }
  });
});
