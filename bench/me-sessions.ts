import { Client } from 'pg';
import { inBatches, postJson, type BenchContext } from './lib/context';
import { load, type LoadRequest, type LoadResult } from './lib/load';
import { figure, type Figure } from './lib/results';

/** Issue 11: GET me/sessions beside the `SELECT 1` handler, for a user with a few devices and for one with 1,000 sessions. */
export const ME_SESSIONS_SETTINGS = { concurrency: 32, duration_s: 8, rounds: 2, warmup_s: 2, db_pool_max: 10, sessions: [10, 1000] };

/**
 * GET me/sessions (the access-token check, then the user's live sessions sorted by last use, the default page of 20, with
 * a device label each) at concurrency 32 against the service's own `SELECT 1` handler on the same
 * pool, directly on PostgreSQL. Rounds alternate the baseline and the endpoint.
 */
export async function benchMeSessions(ctx: BenchContext): Promise<Figure[]> {
  const s = { ...ME_SESSIONS_SETTINGS, duration_s: ctx.seconds(ME_SESSIONS_SETTINGS.duration_s) };
  const roundS = Math.max(2, Math.round(s.duration_s / s.rounds));
  const service = await ctx.startService({ databaseUrl: ctx.serviceDbUrl, bcryptCost: 4, extra: { DB_POOL_MAX: String(s.db_pool_max) } });
  const figures: Figure[] = [];
  try {
    for (const count of s.sessions) {
      const password = 'correct horse battery staple';
      const email = `me-sessions-bench-${count}-${Date.now()}@example.com`;
      const registered = await postJson<{ access_token: string; user: { id: string } }>(`${service.url}/api/v1/auth/register`, { email, password }, 201);
      // A few real logins with browser user agents, the rest of the sessions inserted directly.
      await inBatches(Array.from({ length: Math.min(count, 9) }), 4, () => postJson(`${service.url}/api/v1/auth/login`, { email, password }, 200));
      await seedSessions(ctx.serviceDbUrl, registered.user.id, count - 1 - Math.min(count, 9));
      const run = (request: LoadRequest, warmupS = 0) => load({ url: service.url, connections: s.concurrency, durationS: roundS, warmupS, request });
      const sessionsReq: LoadRequest = { method: 'GET', path: '/api/v1/auth/me/sessions', headers: { authorization: `Bearer ${registered.access_token}` } };
      const selectReq: LoadRequest = { method: 'GET', path: '/bench/select1' };
      const baselines: LoadResult[] = [];
      const endpoint: LoadResult[] = [];
      for (let r = 0; r < s.rounds; r++) {
        const w = r === 0 ? s.warmup_s : 0;
        baselines.push(await run(selectReq, w));
        endpoint.push(await run(sessionsReq, w));
      }
      const mean = (runs: LoadResult[], f: (r: LoadResult) => number) => runs.reduce((a, r) => a + f(r), 0) / runs.length;
      const [p99, baseP99] = [mean(endpoint, (r) => r.p99_ms), mean(baselines, (r) => r.p99_ms)];
      figures.push(
        figure({
          name: `me_sessions.${count}.p99`,
          label: `GET /me/sessions p99 latency, ${count} live sessions (c=${s.concurrency}, direct)`,
          value: p99,
          unit: 'ms',
          baseline: { label: 'SELECT 1 handler, direct', value: baseP99 },
          goal: { text: '< 4× baseline p99', ratioBelow: 4 },
          details: {
            rps: mean(endpoint, (r) => r.rps),
            p50_ms: mean(endpoint, (r) => r.p50_ms),
            baseline_rps: mean(baselines, (r) => r.rps),
            baseline_p50_ms: mean(baselines, (r) => r.p50_ms),
            non2xx: endpoint.reduce((a, r) => a + r.non2xx + r.errors, 0),
          },
        }),
      );
    }
  } finally {
    await service.stop();
  }
  return figures;
}

/** `count` more live sessions for the user, inserted directly (also used by bench/profile.ts). */
export async function seedSessions(databaseUrl: string, userId: string, count: number): Promise<void> {
  if (count <= 0) return;
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query(
      `INSERT INTO auth.sessions (user_id, expires_at, last_used_at, user_agent, ip)
       SELECT $1, now() + interval '1 day', now() - g * interval '1 second',
              'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0', '203.0.113.1'
         FROM generate_series(1, $2::int) g`,
      [userId, count],
    );
  } finally {
    await client.end();
  }
}
