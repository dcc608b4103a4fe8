import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { startPgBouncer } from '../test/support/pgbouncer';
import { inBatches, postJson, type BenchContext } from './lib/context';
import { load, type LoadRequest, type LoadResult } from './lib/load';
import { processMemory, startDatabaseCost } from './lib/probes';
import { figure, type Figure } from './lib/results';

/** The table of the previous design's refresh tokens (kept for tokens issued before the change). */
const PREVIOUS_DESIGN_TABLE = 'auth.refresh_tokens';

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
  postgres_cpu: 'utime+stime of the postmaster and all its children (/proc), over the counted part of each run, divided by its 2xx responses',
  service_cpu: 'utime+stime of the service process (/proc), the same way (details only)',
  wal_bytes: 'pg_current_wal_insert_lsn() difference over the counted part of each run, divided by its 2xx responses',
};

interface TokenResponse {
  access_token: string;
  refresh_token: string;
}

/**
 * A pool of live refresh tokens, one per session: each request takes one, and its answer puts
 * the rotated token back. A token is never presented twice, so every refresh is a real rotation.
 */
export function refreshRequest(tokens: string[], path = '/api/v1/auth/refresh'): LoadRequest {
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
 * same pool in the same process, directly and through PgBouncer in transaction mode; refresh
 * also beside its floor (issue 31: the same UPDATE by primary key and one signature in a bare
 * handler) and, as a diagnostic, beside /me, with what PostgreSQL spends on each (CPU of its
 * whole process tree, WAL bytes) over the counted part of every run.
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
      const measure = () => startDatabaseCost(ctx.adminUrl, ctx.postgresDataDir, service.child.pid);
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
          load({ url: service.url, connections: s.concurrency, durationS: roundS, warmupS, request, measure });
        const refreshReq = refreshRequest(tokens);
        const meReq: LoadRequest = { method: 'GET', path: '/api/v1/auth/me', headers: { authorization: `Bearer ${accessToken}` } };
        const selectReq: LoadRequest = { method: 'GET', path: '/bench/select1' };
        // Sessions of their own for the previous design's rotation (a token row marked used, its
        // child inserted, the session extended): login, then a token row the way that design stored one.
        const oneTokens: string[] = [];
        const topUpOne = async () => {
          const fresh = await inBatches(Array.from({ length: Math.max(0, s.sessions - oneTokens.length) }), 4, login);
          oneTokens.push(...(await seedPreviousDesignTokens(ctx.serviceDbUrl, fresh.map((t) => t.access_token))));
        };
        const oneReq = refreshRequest(oneTokens, '/bench/refresh-one-statement');
        // Sessions of their own for the floor handler, which rotates them by id; twice as many, since
        // each run's requests in flight at its end drop theirs from the pool (up to 32 a run, 3 runs).
        const floorSessions = (await inBatches(Array.from({ length: 2 * s.sessions }), 4, login)).map((t) => sessionOf(t.access_token));
        const floorReq = floorRequest(floorSessions);
        const rounds: { baseline: LoadResult; refresh: LoadResult; me: LoadResult; one: LoadResult; floor: LoadResult }[] = [];
        for (let r = 0; r < s.rounds; r++) {
          // Rounds alternate baseline and endpoints, so that load from elsewhere touches all alike.
          const w = r === 0 ? s.warmup_s : 0;
          const baselineRun = await run(selectReq, w);
          await topUp();
          const refreshRun = await run(refreshReq, w);
          const meRun = await run(meReq, w);
          await topUpOne();
          const oneRun = await run(oneReq, w);
          rounds.push({ baseline: baselineRun, refresh: refreshRun, me: meRun, one: oneRun, floor: await run(floorReq, w) });
        }
        const memory = processMemory(service.child.pid!);
        const baseline = combine(rounds.map((r) => r.baseline));
        const refresh = combine(rounds.map((r) => r.refresh));
        const me = combine(rounds.map((r) => r.me));
        const one = combine(rounds.map((r) => r.one));
        const floor = combine(rounds.map((r) => r.floor));
        const baselineLabel = `SELECT 1 handler, ${mode}`;
        const m = mode.toLowerCase();
        const latencies = (r: LoadResult) => ({ p50_ms: r.p50_ms, p99_ms: r.p99_ms, max_ms: r.max_ms, non2xx: r.non2xx, errors: r.errors, status_codes: r.status_codes });
        const cost = (r: LoadResult) => ({
          wal_bytes_per_request: perRequest(r, 'wal_bytes'),
          postgres_cpu_ms_per_request: perRequest(r, 'postgres_cpu_ms'),
          service_cpu_ms_per_request: perRequest(r, 'service_cpu_ms'),
        });
        figures.push(
          // Issue 31 item 7: against what a refresh cannot skip (one UPDATE by primary key through
          // the same pool and one ES256 signature, POST /bench/refresh-floor), not against a read.
          figure({
            name: `refresh.${m}.rps_vs_floor`,
            label: `POST /refresh req/s vs its floor: the same UPDATE by primary key + one ES256 signature in a bare handler (c=${s.concurrency}, ${mode})`,
            value: refresh.rps,
            unit: 'req/s',
            baseline: { label: `the floor handler, ${mode}`, value: floor.rps },
            goal: { text: '≥ 0.8 × floor', ratioAtLeast: 0.8 },
            details: { refresh: { ...latencies(refresh), ...cost(refresh) }, floor: { ...latencies(floor), ...cost(floor) } },
          }),
          // A durable write plus a signature is not a read: kept as a diagnostic, no longer a goal.
          figure({
            name: `refresh.${m}.rps_vs_me`,
            label: `POST /refresh req/s vs GET /me req/s (c=${s.concurrency}, ${mode}; diagnostic)`,
            value: refresh.rps,
            unit: 'req/s',
            baseline: { label: `GET /me, ${mode}`, value: me.rps },
            details: { refresh: latencies(refresh), me: latencies(me), select1: latencies(baseline) },
          }),
          figure({
            name: `refresh.${m}.p99_vs_me`,
            label: `POST /refresh p99 vs GET /me p99 (c=${s.concurrency}, ${mode})`,
            value: refresh.p99_ms,
            unit: 'ms',
            baseline: { label: `GET /me p99, ${mode}`, value: me.p99_ms },
            goal: { text: '≤ 1.5 × /me p99', ratioBelow: 1.5 + 1e-9 },
          }),
          figure({
            name: `me.${m}.rps`,
            label: `GET /me req/s (c=${s.concurrency}, ${mode})`,
            value: me.rps,
            unit: 'req/s',
            baseline: { label: baselineLabel, value: baseline.rps },
            goal: { text: '≥ 0.6 × SELECT 1', ratioAtLeast: 0.6 },
          }),
          figure({
            name: `refresh.${m}.rps`,
            label: `POST /refresh req/s (c=${s.concurrency}, ${mode})`,
            value: refresh.rps,
            unit: 'req/s',
            baseline: { label: baselineLabel, value: baseline.rps },
          }),
        );
        for (const [what, r] of [
          ['refresh', refresh],
          ['me', me],
        ] as const) {
          figures.push(
            figure({
              name: `${what}.${m}.p99`,
              label: `${what === 'refresh' ? 'POST /refresh' : 'GET /me'} p99 latency (c=${s.concurrency}, ${mode})`,
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
            name: `refresh.${m}.postgres_cpu`,
            label: `PostgreSQL CPU per refresh (${mode})`,
            value: perRequest(refresh, 'postgres_cpu_ms'),
            unit: 'ms',
            baseline: { label: `per GET /me, ${mode}`, value: perRequest(me, 'postgres_cpu_ms') },
            details: { refresh: cost(refresh), me: cost(me), select1: cost(baseline), previous_design_rotation: cost(one) },
          }),
          figure({
            name: `refresh.${m}.service_cpu`,
            label: `Service CPU per refresh (${mode}; diagnostic)`,
            value: perRequest(refresh, 'service_cpu_ms'),
            unit: 'ms',
            baseline: { label: `per GET /me, ${mode}`, value: perRequest(me, 'service_cpu_ms') },
          }),
          figure({
            name: `refresh.${m}.wal`,
            label: `WAL bytes per refresh (${mode})`,
            value: perRequest(refresh, 'wal_bytes'),
            unit: 'B',
            baseline: { label: `the previous design's rotation writes (token marked used, child inserted, session extended), ${mode}`, value: perRequest(one, 'wal_bytes') },
            goal: { text: '≤ 1/3 of the previous design', ratioBelow: 1 / 3 + 1e-9 },
            details: { previous_design_rotation: { rps: one.rps, ...latencies(one), ...cost(one) } },
          }),
        );
        if (m === 'direct') {
          figures.push(
            figure({
              name: 'bench_server.peak_rss',
              label: 'Peak RSS of the bench service process after both rounds (direct; diagnostic)',
              value: memory.peak_rss_mib,
              unit: 'MiB',
              baseline: { label: 'its RSS now', value: memory.rss_mib },
            }),
          );
        }
      } finally {
        await service.stop();
      }
    }
  } finally {
    await bouncer.stop();
  }
  return figures;
}

/** The session id (`sid`) an access token names. */
export function sessionOf(accessToken: string): string {
  return (JSON.parse(Buffer.from(accessToken.split('.')[1]!, 'base64url').toString()) as { sid: string }).sid;
}

/** Requests for the floor handler: each takes a session from the pool and gives it back when answered, so no two rotate one session at once. */
export function floorRequest(sessions: string[]): LoadRequest {
  return {
    method: 'POST',
    path: '/bench/refresh-floor',
    headers: { 'content-type': 'application/json' },
    setupRequest: (req, context) => {
      const id = sessions.shift();
      if (!id) throw new Error('the refresh floor benchmark ran out of sessions');
      context.session = id;
      return { ...req, body: JSON.stringify({ session_id: id }) };
    },
    onResponse: (_status, _body, context) => {
      sessions.push(context.session as string);
    },
  };
}

/** A measured quantity of the counted runs divided by their successful requests. */
function perRequest(r: LoadResult, key: 'wal_bytes' | 'postgres_cpu_ms' | 'service_cpu_ms'): number {
  return r.ok ? (r.measured?.[key] ?? NaN) / r.ok : NaN;
}

/**
 * Refresh tokens as the previous design stored them (a `refresh_tokens` row holding the SHA-256
 * of a random token), one per session named by each access token's `sid`, for the diagnostic
 * route that replays that design's rotation.
 */
async function seedPreviousDesignTokens(databaseUrl: string, accessTokens: string[]): Promise<string[]> {
  if (!accessTokens.length) return [];
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const tokens = accessTokens.map(() => randomBytes(32).toString('base64url'));
    const sids = accessTokens.map((t) => (JSON.parse(Buffer.from(t.split('.')[1]!, 'base64url').toString()) as { sid: string }).sid);
    await client.query(
      `INSERT INTO ${PREVIOUS_DESIGN_TABLE} (session_id, token_hash, expires_at)
       SELECT sid, sha256(convert_to(token, 'UTF8')), now() + interval '1 day' FROM unnest($1::uuid[], $2::text[]) AS t(sid, token)`,
      [sids, tokens],
    );
    return tokens;
  } finally {
    await client.end();
  }
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
    measured: sumMeasured(runs),
  };
}

function sumMeasured(runs: LoadResult[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of runs) for (const [k, v] of Object.entries(r.measured ?? {})) out[k] = (out[k] ?? 0) + v;
  return out;
}
