import request from 'supertest';
import { DEFAULT_PRUNE_SETTINGS, pruneEndedSessions, SWEEP_ENDED_SESSIONS } from '../../src/auth/sessions/session-pruning';
import { useTestApp } from '../support/app';
import { register, uniqueEmail } from './helpers';

describe('pruning ended sessions and expired refresh tokens', () => {
  const t = useTestApp();

  const q = (text: string, params: unknown[] = []) => t.dataSource.query(text, params);

  it('deletes sessions ended longer ago than the retention, keeps live and recently ended ones, and leaves refresh working', async () => {
    const email = uniqueEmail();
    const user = await register(t.app, email);
    const live = await request(t.app).post('/api/v1/auth/login').send({ email, password: 'correct horse battery staple' });
    const [{ id: oldRevoked }] = await q(
      `INSERT INTO auth.sessions (user_id, expires_at, revoked_at, revoked_reason) VALUES ($1, now() + interval '1 day', now() - interval '2 days', 'logout') RETURNING id`,
      [user.user.id],
    );
    const [{ id: oldExpired }] = await q(`INSERT INTO auth.sessions (user_id, expires_at) VALUES ($1, now() - interval '3 days') RETURNING id`, [user.user.id]);
    const [{ id: recentlyRevoked }] = await q(
      `INSERT INTO auth.sessions (user_id, expires_at, revoked_at) VALUES ($1, now() + interval '1 day', now() - interval '1 hour') RETURNING id`,
      [user.user.id],
    );
    await q(`INSERT INTO auth.refresh_tokens (session_id, token_hash, expires_at) VALUES ($1, '\\x01', now() + interval '1 day')`, [oldRevoked]);
    const [{ id: liveSession }] = await q(`SELECT id FROM auth.sessions WHERE user_id = $1 AND revoked_at IS NULL AND expires_at > now() ORDER BY created_at LIMIT 1`, [user.user.id]);
    await q(`INSERT INTO auth.refresh_tokens (session_id, token_hash, expires_at, used_at) VALUES ($1, '\\x02', now() - interval '1 minute', now() - interval '2 days')`, [liveSession]);

    const result = await pruneEndedSessions(t.dataSource, { ...DEFAULT_PRUNE_SETTINGS, batchSize: 1, pagesPerStatement: 1 });

    expect(result).toMatchObject({ sessions: 2, refreshTokens: 1 });
    const left = (await q(`SELECT id FROM auth.sessions WHERE user_id = $1`, [user.user.id])).map((r: { id: string }) => r.id);
    expect(left).not.toContain(oldRevoked);
    expect(left).not.toContain(oldExpired);
    expect(left).toContain(recentlyRevoked);
    expect(await q(`SELECT 1 FROM auth.refresh_tokens WHERE token_hash IN ('\\x01', '\\x02')`)).toEqual([]);
    // Live sessions keep working after a prune.
    for (const token of [user.refresh_token, live.body.refresh_token as string]) {
      expect((await request(t.app).post('/api/v1/auth/refresh').send({ refresh_token: token })).status).toBe(200);
    }
  });

  it('sweeps the table a window of pages at a time, a bounded part per run, from where the last run stopped', async () => {
    const [{ id: userId }] = await q(`INSERT INTO auth.users (email, password_hash) VALUES ('sweep@cathouse.example', 'x') RETURNING id`);
    await q(
      `INSERT INTO auth.sessions (user_id, expires_at, revoked_at, user_agent)
       SELECT $1, now() + interval '1 day', now() - interval '2 days', repeat('x', 300) FROM generate_series(1, 600)`,
      [userId],
    );
    const prunable = async () => (await q(`SELECT count(*)::int AS n FROM auth.sessions WHERE user_id = $1`, [userId]))[0].n as number;
    const settings = { ...DEFAULT_PRUNE_SETTINGS, pagesPerStatement: 2, minPagesPerRun: 6, runsPerSweep: 1_000 };
    const first = await pruneEndedSessions(t.dataSource, settings);
    expect(first.pages!.swept).toBe(6);
    expect(first.pages!.table).toBeGreaterThan(20);
    expect(first.sessions).toBeLessThan(600);
    // The following runs go on from there and cover the rest: a whole sweep takes table / 6 runs.
    let runs = 1;
    while ((await prunable()) > 0) {
      await pruneEndedSessions(t.dataSource, settings);
      runs++;
      expect(runs).toBeLessThanOrEqual(Math.ceil(first.pages!.table / 6) + 1);
    }
  });

  it('each DELETE reads only its window of pages (a TID range scan), never the whole table', async () => {
    const [row] = await q(`EXPLAIN (FORMAT JSON) ${SWEEP_ENDED_SESSIONS}`, [0, 256, 86_400]);
    const scan = (row['QUERY PLAN'] as { Plan: { Plans: { 'Node Type': string }[] } }[])[0]!.Plan.Plans[0]!;
    expect(scan['Node Type']).toBe('Tid Range Scan');
  });
});
