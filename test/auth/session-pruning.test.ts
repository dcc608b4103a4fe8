import request from 'supertest';
import { pruneEndedSessions } from '../../src/auth/sessions/session-pruning';
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

    const result = await pruneEndedSessions(t.dataSource, { endedSessionRetentionSeconds: 86_400, batchSize: 1 });

    expect(result).toEqual({ sessions: 2, refreshTokens: 1 });
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
});
