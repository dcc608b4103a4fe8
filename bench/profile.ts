/**
 * `npm run bench:profile -- [me|refresh|floor|select1|sessions] [--seconds=N] [--compare[=floor]] [--sessions=N]`
 *
 * Where the service's CPU goes for one endpoint: starts PostgreSQL and the bench service with
 * V8's CPU profiler, loads the endpoint at c=32 the way `npm run bench` does, and prints the
 * functions with the most self time (and by package). The .cpuprofile is kept for Chrome's
 * DevTools. Not a benchmark: profiling slows the process down; use it to find what to cut.
 * `--compare` runs without the profiler and prints the endpoint's rate beside the SELECT 1
 * handler's, alternating three rounds: a quick check of one change (`npm run bench` decides).
 * `--compare=floor` compares with the refresh's floor handler (POST /bench/refresh-floor) instead,
 * and `floor` profiles that handler: what a refresh spends beyond its floor, function by function.
 * `--sessions=N` gives the user N more live sessions (inserted directly) before the load: for
 * `sessions`, the 1,000-session row of `npm run bench`.
 */
import 'reflect-metadata';
import { mkdtemp, readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createBenchContext, inBatches, postJson } from './lib/context';
import { seedSessions } from './me-sessions';
import { floorRequest, refreshRequest, sessionOf } from './refresh';
import { load, type LoadRequest, type LoadResult } from './lib/load';
import { startDatabaseCost } from './lib/probes';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}

const ENDPOINTS = ['me', 'refresh', 'floor', 'select1', 'sessions'] as const;

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const endpoint = (args.find((a) => !a.startsWith('--')) ?? 'me') as (typeof ENDPOINTS)[number];
  if (!ENDPOINTS.includes(endpoint)) {
    process.stderr.write(`unknown endpoint ${endpoint}; choose from ${ENDPOINTS.join(', ')}\n`);
    process.exit(2);
  }
  const seconds = Number(args.find((a) => a.startsWith('--seconds='))?.slice(10) ?? 8);
  const compare = args.some((a) => a === '--compare' || a.startsWith('--compare='));
  const baseline = args.includes('--compare=floor') ? 'floor' : 'select1';
  const extraSessions = Number(args.find((a) => a.startsWith('--sessions='))?.slice(11) ?? 0);
  let requestCount: number | undefined;
  const dir = await mkdtemp(path.join(tmpdir(), 'cathouse-profile-'));
  const ctx = await createBenchContext(false);
  try {
    if (!compare) process.env.BENCH_CPU_PROF = dir;
    const service = await ctx.startService({ databaseUrl: ctx.serviceDbUrl, bcryptCost: 4, extra: { DB_POOL_MAX: '10' } });
    delete process.env.BENCH_CPU_PROF;
    try {
      // Refresh tokens of requests in flight when a run stops are lost (rotated, never heard):
      // enough sessions for every run, from a few users (logins per account are limited).
      const password = 'correct horse battery staple';
      const users = endpoint === 'refresh' || endpoint === 'floor' ? 5 : 1;
      const sessions = (
        await inBatches(Array.from({ length: users }), 1, async (_, u) => {
          const email = `profile-${Date.now()}-${u}@example.com`;
          await postJson(`${service.url}/api/v1/auth/register`, { email, password }, 201);
          return inBatches(Array.from({ length: 80 }), 4, () =>
            postJson<{ access_token: string; refresh_token: string }>(`${service.url}/api/v1/auth/login`, { email, password }, 200),
          );
        })
      ).flat();
      // Half the sessions rotate through POST /refresh, the other half through the floor handler, which keeps its own state per session.
      const tokens = sessions.slice(0, sessions.length / 2).map((s) => s.refresh_token);
      const floorSessions = sessions.slice(sessions.length / 2).map((s) => sessionOf(s.access_token));
      const { sub } = JSON.parse(Buffer.from(sessions[0]!.access_token.split('.')[1]!, 'base64url').toString()) as { sub: string };
      await seedSessions(ctx.serviceDbUrl, sub, extraSessions);
      const bearer = { authorization: `Bearer ${sessions[0]!.access_token}` };
      const requests: Record<(typeof ENDPOINTS)[number], LoadRequest> = {
        me: { method: 'GET', path: '/api/v1/auth/me', headers: bearer },
        sessions: { method: 'GET', path: '/api/v1/auth/me/sessions', headers: bearer },
        select1: { method: 'GET', path: '/bench/select1' },
        refresh: refreshRequest(tokens),
        floor: floorRequest(floorSessions),
      };
      if (compare) {
        const measure = () => startDatabaseCost(ctx.adminUrl, ctx.postgresDataDir, service.child.pid);
        const run = (request: LoadRequest, warmupS: number) => load({ url: service.url, connections: 32, durationS: seconds / 2, warmupS, request, measure });
        const cpu = (r: LoadResult) =>
          `service ${((r.measured?.service_cpu_ms ?? NaN) / r.ok).toFixed(3)} ms, PostgreSQL ${((r.measured?.postgres_cpu_ms ?? NaN) / r.ok).toFixed(3)} ms`;
        for (let round = 0; round < 3; round++) {
          const base = await run(requests[baseline], round ? 0 : 2);
          const it = await run(requests[endpoint], round ? 0 : 2);
          const name = baseline === 'floor' ? 'the floor handler' : 'SELECT 1 handler';
          process.stdout.write(
            `${endpoint} ${Math.round(it.rps)} req/s vs ${name} ${Math.round(base.rps)}: ${(it.rps / base.rps).toFixed(2)} (non-2xx ${it.non2xx}); ` +
              `CPU per request: ${cpu(it)} (${name}: ${cpu(base)})\n`,
          );
        }
        return;
      }
      const result = await load({ url: service.url, connections: 32, durationS: seconds, request: requests[endpoint] });
      requestCount = result.ok + result.non2xx;
      process.stdout.write(`${endpoint}: ${Math.round(result.rps)} req/s under the profiler, p99 ${result.p99_ms} ms, non-2xx ${result.non2xx}\n`);
    } finally {
      await service.stop();
    }
  } finally {
    await ctx.close();
  }
  if (compare) return;
  const file = (await readdir(dir)).find((f) => f.endsWith('.cpuprofile'));
  if (!file) throw new Error(`no CPU profile was written to ${dir}`);
  report(JSON.parse(await readFile(path.join(dir, file), 'utf8')) as CpuProfile, requestCount ?? 1);
  process.stdout.write(`profile: ${path.join(dir, file)} (open in Chrome DevTools)\n`);
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
}

/**
 * Self time by function and by package, as shares of the busy (non-idle) samples and as µs per
 * request (start-up's samples are included: a few hundred ms, spread over every request).
 */
function report(profile: CpuProfile, requests: number): void {
  const sampleUs = (profile.endTime - profile.startTime) / profile.samples.length;
  const byFunction = new Map<string, number>();
  const byPackage = new Map<string, number>();
  let busy = 0;
  for (const node of profile.nodes) {
    const hits = node.hitCount ?? 0;
    const { functionName, url, lineNumber } = node.callFrame;
    if (!hits || functionName === '(idle)' || functionName === '(program)') continue;
    busy += hits;
    const where = url.replace(/^file:\/\//, '').replace(`${process.cwd()}/`, '');
    const key = `${functionName || '(anonymous)'} ${where ? `${where}:${lineNumber + 1}` : ''}`;
    byFunction.set(key, (byFunction.get(key) ?? 0) + hits);
    const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(where)?.[1] ?? (where.startsWith('node:') ? 'node core' : where ? 'project' : functionName);
    byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + hits);
  }
  const top = (m: Map<string, number>, n: number) =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([k, v]) => `${((100 * v) / busy).toFixed(1).padStart(5)}% ${((v * sampleUs) / requests).toFixed(1).padStart(6)} µs/req  ${k}`)
      .join('\n');
  process.stdout.write(`\nbusy: ${((busy * sampleUs) / requests).toFixed(0)} µs per request over ${requests} requests`);
  process.stdout.write(`\nself time by package (busy samples: ${busy})\n${top(byPackage, 15)}\n\nself time by function\n${top(byFunction, 40)}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
