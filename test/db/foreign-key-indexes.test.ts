import { Client } from 'pg';
import { createTestDatabase, type TestDatabase } from '../support/database';

/**
 * Issue 9 H2. Deleting (or re-keying) a referenced row makes PostgreSQL look for referencing rows;
 * without an index on the referencing columns that is a scan of the whole referencing table per
 * row, which is how pruning refresh tokens came to take 13 s per batch. So every foreign key of
 * the schema, in every schema of the database, must have an index whose leading columns are its
 * referencing columns (in any order within that prefix).
 */
describe('every foreign key has an index on its referencing columns', () => {
  let db: TestDatabase;
  let client: Client;

  beforeAll(async () => {
    db = await createTestDatabase();
    client = new Client({ connectionString: db.url });
    await client.connect();
  });
  afterAll(async () => {
    await client.end();
    await db.drop();
  });

  it('holds for the whole migrated schema', async () => {
    const { rows } = await client.query<{ fk: string; indexed: boolean }>(
      `SELECT format('%s.%s (%s) -> %s', n.nspname, c.relname,
                     (SELECT string_agg(a.attname, ', ' ORDER BY k.ord) FROM unnest(con.conkey) WITH ORDINALITY k(attnum, ord)
                        JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum),
                     con.confrelid::regclass) AS fk,
              EXISTS (
                SELECT 1 FROM pg_index i
                 WHERE i.indrelid = con.conrelid AND i.indisvalid AND i.indpred IS NULL
                   AND (SELECT array_agg(x ORDER BY x) FROM unnest((i.indkey::int2[])[0:cardinality(con.conkey) - 1]) x)
                     = (SELECT array_agg(x ORDER BY x) FROM unnest(con.conkey) x)
              ) AS indexed
         FROM pg_constraint con
         JOIN pg_class c ON c.oid = con.conrelid
         JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE con.contype = 'f'
        ORDER BY 1`,
    );
    expect(rows.length).toBeGreaterThan(5);
    expect(rows.filter((r) => !r.indexed).map((r) => r.fk)).toEqual([]);
  });
});
