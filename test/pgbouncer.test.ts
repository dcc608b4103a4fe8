import request from 'supertest';
import { createTestDatabase, type TestDatabase } from './support/database';
import { startTestApp, type TestApp } from './support/app';
import { startPgBouncer, type PgBouncer } from './support/pgbouncer';

describe('the runtime DataSource through PgBouncer in transaction mode', () => {
  let db: TestDatabase;
  let bouncer: PgBouncer;
  let service: TestApp;

  beforeAll(async () => {
    db = await createTestDatabase();
    bouncer = await startPgBouncer(db.url, { poolSize: 2 });
    service = await startTestApp(bouncer.url, { DB_POOL_MAX: '8', DB_CONNECT_TIMEOUT_MS: '1000', DB_QUERY_TIMEOUT_MS: '2000' });
  });

  afterAll(async () => {
    await service?.close();
    await bouncer?.stop();
    await db?.drop();
  });

  it('serves requests whose queries go through the pooler', async () => {
    const res = await request(service.app).get('/api/v1/auth/ready').expect(200);
    expect(res.body.checks.database).toBe('ok');
  });

  it('keeps many concurrent requests correct on two server connections', async () => {
    const results = await Promise.all(Array.from({ length: 40 }, () => request(service.app).get('/api/v1/auth/ready')));
    expect(results.map((r) => r.status)).toEqual(Array(40).fill(200));
  });

  it('runs multi-statement transactions with row locks, the pattern the auth domain relies on', async () => {
    const [{ id }] = await service.dataSource.query(
      `INSERT INTO auth.users (email, password_hash) VALUES ('pooled@example.com', 'x') RETURNING id`,
    );
    const flips = await Promise.all(
      Array.from({ length: 10 }, () =>
        service.dataSource.transaction(async (tx) => {
          const [row] = await tx.query(`SELECT is_active FROM auth.users WHERE id = $1 FOR UPDATE`, [id]);
          await tx.query(`UPDATE auth.users SET is_active = $2 WHERE id = $1`, [id, !row.is_active]);
          return row.is_active as boolean;
        }),
      ),
    );
    // Serialised by the row lock: the ten transactions saw alternating values, ending where they began.
    expect(flips.filter(Boolean)).toHaveLength(5);
    const [after] = await service.dataSource.query(`SELECT is_active FROM auth.users WHERE id = $1`, [id]);
    expect(after.is_active).toBe(true);
  });

  it('answers 503 fast while the pooler is down, and recovers by itself when it is back', async () => {
    await bouncer.halt();
    const started = Date.now();
    const down = await request(service.app).get('/api/v1/auth/ready');
    expect(down.status).toBe(503);
    expect(down.body.checks.database).toBe('unavailable');
    expect(Date.now() - started).toBeLessThan(5_000);

    await bouncer.start();
    let status = 0;
    for (let i = 0; i < 20 && status !== 200; i++) {
      status = (await request(service.app).get('/api/v1/auth/ready')).status;
      if (status !== 200) await new Promise((r) => setTimeout(r, 100));
    }
    expect(status).toBe(200);
  });
});
