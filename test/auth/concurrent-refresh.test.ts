import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { hashRefreshToken } from '../../src/auth/refresh-tokens';
import { startTestApp, type TestApp } from '../support/app';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { register, uniqueEmail } from './helpers';

/** Two instances of the service (two apps, two pools) on one database, as behind a load balancer. */
describe('concurrent refreshes of one token across two service instances', () => {
  let db: TestDatabase;
  const instances: { t: TestApp; server: Server; url: string }[] = [];

  beforeAll(async () => {
    db = await createTestDatabase();
    for (let i = 0; i < 2; i++) {
      const t = await startTestApp(db.url, { DB_POOL_MAX: '10' });
      const server = t.app.listen(0, '127.0.0.1');
      await new Promise((resolve) => server.once('listening', resolve));
      instances.push({ t, server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` });
    }
  });
  afterAll(async () => {
    for (const { t, server } of instances) {
      await new Promise((resolve) => server.close(resolve));
      await t.close();
    }
    await db.drop();
  });

  const refreshEverywhere = (token: string, count: number) =>
    Promise.all(
      Array.from({ length: count }, async (_, i) => {
        const res = await fetch(`${instances[i % 2]!.url}/api/v1/auth/refresh`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ refresh_token: token }),
        });
        return { status: res.status, body: (await res.json()) as { refresh_token?: string; error?: string } };
      }),
    );

  const tokenCounts = async (sessionId: string) => {
    const [row] = await instances[0]!.t.dataSource.query(
      `SELECT count(*) FILTER (WHERE used_at IS NULL)::int AS live, count(*)::int AS total,
              (SELECT revoked_at FROM auth.sessions WHERE id = $1) AS revoked_at
         FROM auth.refresh_tokens WHERE session_id = $1`,
      [sessionId],
    );
    return row as { live: number; total: number; revoked_at: Date | null };
  };

  it('20 at once all get 200 and one and the same new token, and the session keeps exactly one live token', async () => {
    let token = (await register(instances[0]!.t.app, uniqueEmail('tabs'))).refresh_token;
    const [{ session_id: sessionId }] = await instances[0]!.t.dataSource.query(
      `SELECT session_id FROM auth.refresh_tokens WHERE token_hash = $1`,
      [hashRefreshToken(token)],
    );
    // Several rounds, each starting from the token the previous round agreed on.
    for (let round = 1; round <= 3; round++) {
      const answers = await refreshEverywhere(token, 20);
      expect(answers.map((a) => a.status)).toEqual(Array(20).fill(200));
      const tokens = new Set(answers.map((a) => a.body.refresh_token));
      expect(tokens.size).toBe(1);
      const [next] = [...tokens];
      expect(next).not.toBe(token);
      token = next!;
      const counts = await tokenCounts(sessionId);
      expect(counts).toEqual({ live: 1, total: round + 1, revoked_at: null });
    }
  });

  it('with no reuse interval, 20 at once across two instances: exactly one rotation, 19 invalid_grant, and the session ended as reuse', async () => {
    // Both instances strict (interval 0): after the one rotation every other request is a replay.
    const strict: { t: TestApp; server: Server; url: string }[] = [];
    for (let i = 0; i < 2; i++) {
      const t = await startTestApp(db.url, { REFRESH_REUSE_INTERVAL_SECONDS: '0' });
      const server = t.app.listen(0, '127.0.0.1');
      await new Promise((resolve) => server.once('listening', resolve));
      strict.push({ t, server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` });
    }
    try {
      const { refresh_token } = await register(strict[0]!.t.app, uniqueEmail('strict'));
      const answers = await Promise.all(
        Array.from({ length: 20 }, async (_, i) => {
          const res = await fetch(`${strict[i % 2]!.url}/api/v1/auth/refresh`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ refresh_token }),
          });
          return { status: res.status, body: (await res.json()) as { refresh_token?: string; error?: string } };
        }),
      );
      const ok = answers.filter((a) => a.status === 200);
      expect(ok).toHaveLength(1);
      expect(answers.filter((a) => a.status === 400 && a.body.error === 'invalid_grant')).toHaveLength(19);
      const [{ session_id: sessionId }] = await strict[0]!.t.dataSource.query(`SELECT session_id FROM auth.refresh_tokens WHERE token_hash = $1`, [
        hashRefreshToken(refresh_token),
      ]);
      // One child was ever written (never two live children), and the replays ended the session as reuse.
      const counts = await tokenCounts(sessionId);
      expect({ total: counts.total, live: counts.live }).toEqual({ total: 2, live: 1 });
      const [{ revoked_reason }] = await strict[0]!.t.dataSource.query(`SELECT revoked_reason FROM auth.sessions WHERE id = $1`, [sessionId]);
      expect(revoked_reason).toBe('refresh_token_reused');
      // The one child that was handed out is refused too: the family is over.
      const child = await fetch(`${strict[1]!.url}/api/v1/auth/refresh`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ refresh_token: ok[0]!.body.refresh_token }),
      });
      expect(child.status).toBe(400);
    } finally {
      for (const { t, server } of strict) {
        await new Promise((resolve) => server.close(resolve));
        await t.close();
      }
    }
  });

  it('refreshes queued behind one lock on the token are decided one after another: one rotation, the rest get its child', async () => {
    const { refresh_token } = await register(instances[0]!.t.app, uniqueEmail('queued'));
    const tokenHash = hashRefreshToken(refresh_token);
    // Hold the token's row so that every refresh below is queued on it, then let them go at once:
    // whichever gets the row first rotates; each later one must re-read it, find it used, and be
    // answered from the reuse interval rather than rotating again or failing.
    const blocker = await instances[0]!.t.dataSource.createQueryRunner();
    await blocker.startTransaction();
    await blocker.query(`SELECT 1 FROM auth.refresh_tokens WHERE token_hash = $1 FOR UPDATE`, [tokenHash]);
    const pending = refreshEverywhere(refresh_token, 6);
    let waiting = 0;
    for (let i = 0; i < 100 && waiting < 6; i++) {
      await new Promise((r) => setTimeout(r, 50));
      [{ waiting }] = await instances[0]!.t.dataSource.query(
        `SELECT count(*)::int AS waiting FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`,
      );
    }
    expect(waiting).toBe(6);
    await blocker.rollbackTransaction();
    await blocker.release();

    const answers = await pending;
    expect(answers.map((a) => a.status)).toEqual(Array(6).fill(200));
    expect(new Set(answers.map((a) => a.body.refresh_token)).size).toBe(1);
    const [{ session_id: sessionId }] = await instances[0]!.t.dataSource.query(
      `SELECT session_id FROM auth.refresh_tokens WHERE token_hash = $1`,
      [tokenHash],
    );
    expect(await tokenCounts(sessionId)).toEqual({ live: 1, total: 2, revoked_at: null });
  });
});
