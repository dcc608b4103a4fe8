import { Client } from 'pg';
import { QueryRunnerAlreadyReleasedError } from 'typeorm';
import { isDatabaseUnavailable } from '../../src/db/database-errors';
import { createRuntimeDataSource } from '../../src/db/runtime-data-source';
import { sql } from '../../src/auth/sql';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { testConfig } from '../support/env';
import { pollUntil } from '../support/poll';

describe('the runtime DataSource under failures', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(() => db.drop());

  it('never pools a connection whose statement timed out: the next statement gets its own answer on another connection', async () => {
    const config = testConfig({ DATABASE_URL: db.url, DB_POOL_MAX: '1', DB_QUERY_TIMEOUT_MS: '300' });
    const dataSource = createRuntimeDataSource(db.url, config.db);
    await dataSource.initialize();
    try {
      const [before] = (await sql<{ pid: number }>(dataSource, 'SELECT pg_backend_pid() AS pid')).rows;
      // Still running on the server when the client gives up: that connection's next answer would be this one's.
      const timedOut = await sql(dataSource, 'SELECT pg_sleep(3), $1::int AS answer', [1]).catch((e: unknown) => e);
      expect(isDatabaseUnavailable(timedOut)).toBe(true);
      const { rows } = await sql<{ pid: number; answer: number }>(dataSource, 'SELECT pg_backend_pid() AS pid, $1::int AS answer', [42]);
      expect(rows).toEqual([{ pid: expect.any(Number), answer: 42 }]);
      expect(rows[0]!.pid).not.toBe(before!.pid);
    } finally {
      await dataSource.destroy();
    }
  });

  it('never pools a connection whose ROLLBACK failed, so a later COMMIT cannot save half a transaction', async () => {
    const config = testConfig({ DATABASE_URL: db.url, DB_POOL_MAX: '1', DB_QUERY_TIMEOUT_MS: '300' });
    const dataSource = createRuntimeDataSource(db.url, config.db);
    await dataSource.initialize();
    const holder = new Client({ connectionString: db.url });
    await holder.connect();
    try {
      const [{ id }] = await dataSource.query(`INSERT INTO auth.users (email, password_hash) VALUES ('held@example.com', 'x') RETURNING id`);
      await holder.query('BEGIN');
      await holder.query('SELECT 1 FROM auth.users WHERE id = $1 FOR UPDATE', [id]);

      // The second statement waits on the held row past the client-side timeout, and so does the
      // ROLLBACK queued behind it on the same connection.
      const failed = dataSource.transaction(async (tx) => {
        await tx.query(`INSERT INTO auth.users (email, password_hash) VALUES ('half@example.com', 'x')`);
        await tx.query(`UPDATE auth.users SET display_name = 'changed' WHERE id = $1`, [id]);
      });
      await expect(failed).rejects.toThrow();
      await holder.query('COMMIT');

      // The pool's next transaction must run on a clean connection.
      await dataSource.transaction((tx) => tx.query('SELECT 1'));
      // Let every other backend of this database settle (the failed transaction's connection ended
      // or idle outside a transaction) before looking, so a late COMMIT could not be missed.
      await pollUntil('the failed transaction to settle', async () => {
        const { rows } = await holder.query(
          `SELECT count(*)::int AS busy FROM pg_stat_activity
            WHERE datname = current_database() AND pid <> pg_backend_pid() AND state <> 'idle'`,
        );
        return rows[0].busy === 0;
      });
      const { rows } = await holder.query(`SELECT email FROM auth.users WHERE email = 'half@example.com'`);
      expect(rows).toEqual([]);
    } finally {
      await holder.end();
      await dataSource.destroy();
    }
  });

  it('counts a query runner released under a transaction as an unavailable database (503, not 500)', () => {
    expect(isDatabaseUnavailable(new QueryRunnerAlreadyReleasedError())).toBe(true);
    expect(isDatabaseUnavailable(new Error('syntax error at or near "SELEC"'))).toBe(false);
  });
});
