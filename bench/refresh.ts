import { startPgBouncer } from '../test/support/pgbouncer';
import { inBatches, postJson, type BenchContext } from './lib/context';
import { load, type LoadRequest, type LoadResult } from './lib/load';
import { figure, type Figure } from './lib/results';

export const REFRESH_SETTINGS = {
  concurrency: 32,
  duration_s: 12,
  rounds: 2,
  warmup_s: 2,
  db_pool_max: 10,
  pgbouncer_pool_size: 10,
  pgbouncer_mode: 'transaction',
  // Sessions rotate independently; three times the connections: a warm-up run can strand one connection-full of them.
  sessions: 96,
  bcrypt_cost_for_setup: 4,
  // Statements of a rotation's common path (src/auth/sessions.ts as of 4fedea4: one autocommitted
  // statement; before, BEGIN + 2 + COMMIT); the diagnostic of the same shape uses as many.
  rotation_statements: 1,
};

interface TokenResponse {
  access_token: string;
  refresh_token: string;
}

/**
 * A pool of live refresh tokens, one per session: each request takes one, and its answer puts
 * the rotated token back. A token is never presented twice, so every refresh is a real rotation.
 */
function refreshRequest(tokens: string[], path = '/api/v1/auth/refresh'): LoadRequest {
  return {
    method: 'POST',
    path,
    headers: { 'content-type': 'application/json' },
    setupRequest: (req, context) => {
      const token = tokens.shift();
      if (!token) throw new Error('the refresh benchmark ran out of live sessions: some refresh failed');
      context.token = token;
      return { ...req, body: JSON.stringify({ refresh_token: token }) };
    },
    onResponse: (status, body, context) => {
      if (status === 200) tokens.push((JSON.parse(body) as TokenResponse).refresh_token);
      else tokens.push(context.token as string); // counted in non2xx; the session stays in the pool
    },
  };
}

/**
 * 2. Refresh and /me at concurrency 32, each beside a handler doing one `SELECT 1` through the
 * same pool in the same process, directly and through PgBouncer in transaction mode.
 */
export async function benchRefresh(ctx: BenchContext): Promise<Figure[]> {
  const s = { ...REFRESH_SETTINGS, duration_s: ctx.seconds(REFRESH_SETTINGS.duration_s) };
  const figures: Figure[] = [];
  const bouncer = await startPgBouncer(ctx.serviceDbUrl, { poolSize: s.pgbouncer_pool_size });
  try {
    for (const [mode, databaseUrl] of [
      ['direct', ctx.serviceDbUrl],
      ['PgBouncer', bouncer.url],
    ] as const) {
      const service = await ctx.startService({
        databaseUrl,
        bcryptCost: s.bcrypt_cost_for_setup,
        extra: { DB_POOL_MAX: String(s.db_pool_max) },
      });
      try {
        const password = 'correct horse battery staple';
        const email = `refresh-bench-${mode}-${Date.now()}@example.com`;
        await postJson(`${service.url}/api/v1/auth/register`, { email, password }, 201);
        const login = () => postJson<TokenResponse>(`${service.url}/api/v1/auth/login`, { email, password }, 200);
        const sessions = await inBatches(Array.from({ length: s.sessions }), 4, login);
        const tokens = sessions.map((t) => t.refresh_token);
        const accessToken = sessions[0]!.access_token;
        // Requests in flight when a run stops never hear their answer, so their sessions drop out
        // of the pool (their tokens were rotated server-side); new sessions replace them.
        const topUp = async () => {
          const missing = Math.max(0, s.sessions - tokens.length);
          const fresh = await inBatches(Array.from({ length: missing }), 4, login);
          tokens.push(...fresh.map((t) => t.refresh_token));
        };

        const roundS = Math.max(2, Math.round(s.duration_s / s.rounds));
        const run = (request: LoadRequest, warmupS = 0) =>
          load({ url: service.url, connections: s.concurrency, durationS: roundS, warmupS, request });
        const refreshReq = refreshRequest(tokens);
        const meReq: LoadRequest = { method: 'GET', path: '/api/v1/auth/me', headers: { authorization: `Bearer ${accessToken}` } };
        const selectReq: LoadRequest = { method: 'GET', path: '/bench/select1' };
        // Rounds alternate baseline and endpoints, so that load from elsewhere touches all alike.
        const shapeReq: LoadRequest = { method: 'GET', path: `/bench/tx-shape?statements=${s.rotation_statements}` };
        // Sessions of their own for the one-statement diagnostic (it rotates to children the real endpoint cannot know).
        const oneTokens: string[] = [];
        const topUpOne = async () => {
          const fresh = await inBatches(Array.from({ length: Math.max(0, s.sessions - oneTokens.length) }), 4, login);
          oneTokens.push(...fresh.map((t) => t.refresh_token));
        };
        const oneReq = refreshRequest(oneTokens, '/bench/refresh-one-statement');
        const rounds: { baseline: LoadResult; refresh: LoadResult; me: LoadResult; shape: LoadResult; one: LoadResult }[] = [];
        for (let r = 0; r < s.rounds; r++) {
          const w = r === 0 ? s.warmup_s : 0;
          const baselineRun = await run(selectReq, w);
          await topUp();
          const refreshRun = await run(refreshReq, w);
          const meRun = await run(meReq, w);
          const shapeRun = await run(shapeReq, w);
          await topUpOne();
          rounds.push({ baseline: baselineRun, refresh: refreshRun, me: meRun, shape: shapeRun, one: await run(oneReq, w) });
        }
        const baseline = combine(rounds.map((r) => r.baseline));
        const refresh = combine(rounds.map((r) => r.refresh));
        const me = combine(rounds.map((r) => r.me));
        const shape = combine(rounds.map((r) => r.shape));
        const one = combine(rounds.map((r) => r.one));
        const baselineLabel = `SELECT 1 handler, ${mode}`;
        const details = (r: LoadResult) => ({
          p50_ms: r.p50_ms,
          p99_ms: r.p99_ms,
          max_ms: r.max_ms,
          non2xx: r.non2xx,
          errors: r.errors,
          status_codes: r.status_codes,
          baseline_p50_ms: baseline.p50_ms,
          baseline_p99_ms: baseline.p99_ms,
        });
        for (const [what, r] of [
          ['refresh', refresh],
          ['me', me],
        ] as const) {
          const path = what === 'refresh' ? 'POST /refresh' : 'GET /me';
          figures.push(
            figure({
              name: `${what}.${mode.toLowerCase()}.rps`,
              label: `${path} req/s (c=${s.concurrency}, ${mode})`,
              value: r.rps,
              unit: 'req/s',
              baseline: { label: baselineLabel, value: baseline.rps },
              // The issue sets the rate goal for refresh; /me's rate is reported beside the same baseline.
              goal: what === 'refresh' ? { text: '≥ 50% of baseline', ratioAtLeast: 0.5 } : undefined,
              details: details(r),
            }),
            figure({
              name: `${what}.${mode.toLowerCase()}.p99`,
              label: `${path} p99 latency (c=${s.concurrency}, ${mode})`,
              value: r.p99_ms,
              unit: 'ms',
              baseline: { label: baselineLabel, value: baseline.p99_ms },
              goal: { text: '< 4× baseline p99', ratioBelow: 4 },
              details: { p50_ms: r.p50_ms, baseline_p50_ms: baseline.p50_ms },
            }),
          );
        }
        figures.push(
          figure({
            name: `refresh.${mode.toLowerCase()}.vs_shape`,
            label: `POST /refresh req/s vs the same round trips with trivial statements (${mode}; diagnostic)`,
            value: refresh.rps,
            unit: 'req/s',
            baseline: {
              label:
                s.rotation_statements === 1
                  ? `one autocommitted SELECT txid_current() handler, ${mode}`
                  : `BEGIN, ${s.rotation_statements} statements, COMMIT handler, ${mode}`,
              value: shape.rps,
            },
            details: { shape_p50_ms: shape.p50_ms, shape_p99_ms: shape.p99_ms, shape_vs_select1: baseline.rps ? shape.rps / baseline.rps : null },
          }),
          figure({
            name: `refresh.${mode.toLowerCase()}.one_statement`,
            label: `A refresh's database work as one statement, req/s (${mode}; diagnostic, no JWT)`,
            value: one.rps,
            unit: 'req/s',
            baseline: { label: baselineLabel, value: baseline.rps },
            details: { p50_ms: one.p50_ms, p99_ms: one.p99_ms, non2xx: one.non2xx, status_codes: one.status_codes, baseline_p99_ms: baseline.p99_ms },
          }),
        );
      } finally {
        await service.stop();
      }
    }
  } finally {
    await bouncer.stop();
  }
  return figures;
}

/** Several rounds as one: mean rate and latencies, summed counts. */
function combine(runs: LoadResult[]): LoadResult {
  const mean = (f: (r: LoadResult) => number) => runs.reduce((a, r) => a + f(r), 0) / runs.length;
  const codes: Record<string, number> = {};
  for (const r of runs) for (const [k, v] of Object.entries(r.status_codes)) codes[k] = (codes[k] ?? 0) + v;
  return {
    rps: mean((r) => r.rps),
    p50_ms: mean((r) => r.p50_ms),
    p99_ms: mean((r) => r.p99_ms),
    max_ms: Math.max(...runs.map((r) => r.max_ms)),
    ok: runs.reduce((a, r) => a + r.ok, 0),
    non2xx: runs.reduce((a, r) => a + r.non2xx, 0),
    errors: runs.reduce((a, r) => a + r.errors, 0),
    status_codes: codes,
    duration_s: runs.reduce((a, r) => a + r.duration_s, 0),
  };
}
