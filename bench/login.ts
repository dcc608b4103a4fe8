import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { REPO_ROOT } from '../test/reliability/support/service-process';
import { inBatches, postJson, type BenchContext } from './lib/context';
import { load, type LoadResult } from './lib/load';
import { figure, round, type Figure } from './lib/results';

export const LOGIN_SETTINGS = { concurrency: 16, bcrypt_cost: 12, users: 16, duration_s: 30, rounds: 3, warmup_s: 3 };

/** UV_THREADPOOL_SIZE of both processes: the caller's, or libuv's default of 4. */
export const THREADPOOL = process.env.UV_THREADPOOL_SIZE ?? '4';

/**
 * 1. Logins/s through HTTP at concurrency 16 and the production bcrypt cost, beside bare
 * bcrypt.compare/s at the same cost, concurrency and thread-pool size in a process of its own.
 * The service's event-loop delay during the run shows whether anything blocks it.
 */
export async function benchLogin(ctx: BenchContext): Promise<Figure[]> {
  const s = { ...LOGIN_SETTINGS, duration_s: ctx.seconds(LOGIN_SETTINGS.duration_s) };
  const roundS = Math.max(2, Math.round(s.duration_s / s.rounds));
  const bareRound = async () =>
    JSON.parse(
      (
        await promisify(execFile)(process.execPath, ['-r', '@swc-node/register', 'bench/bcrypt-baseline.ts'], {
          cwd: REPO_ROOT,
          env: {
            ...process.env,
            UV_THREADPOOL_SIZE: THREADPOOL,
            COST: String(s.bcrypt_cost),
            CONCURRENCY: String(s.concurrency),
            DURATION_S: String(roundS),
            WARMUP_S: '1',
          },
        })
      ).stdout,
    ) as { per_s: number };

  const service = await ctx.startService({
    databaseUrl: ctx.serviceDbUrl,
    bcryptCost: s.bcrypt_cost,
    extra: { UV_THREADPOOL_SIZE: THREADPOOL, DB_POOL_MAX: '10' },
  });
  try {
    const password = 'correct horse battery staple';
    const emails = Array.from({ length: s.users }, (_, i) => `login-bench-${i}-${Date.now()}@example.com`);
    await inBatches(emails, 4, (email) => postJson(`${service.url}/api/v1/auth/register`, { email, password }, 201));
    let next = 0;
    const request = {
      method: 'POST',
      path: '/api/v1/auth/login',
      headers: { 'content-type': 'application/json' },
      // Round-robin over the users, so that no per-user row serialises the run.
      setupRequest: (req: { body?: string }) => ({ ...req, body: JSON.stringify({ email: emails[next++ % emails.length], password }) }),
    };
    await load({ url: service.url, connections: s.concurrency, durationS: s.warmup_s, request });
    // Rounds alternate the baseline and the service, so that load from elsewhere on a shared
    // machine touches both alike.
    const bare: number[] = [];
    const runs: LoadResult[] = [];
    const loops: Record<string, number>[] = [];
    const eventLoop = async () => (await (await fetch(`${service.url}/bench/event-loop`)).json()) as Record<string, number>;
    for (let round = 0; round < s.rounds; round++) {
      bare.push((await bareRound()).per_s);
      await eventLoop(); // resets the histogram: only the service's own rounds are measured
      runs.push(await load({ url: service.url, connections: s.concurrency, durationS: roundS, request }));
      loops.push(await eventLoop());
    }
    const loop = {
      p50_ms: Math.max(...loops.map((l) => l.p50_ms!)),
      p99_ms: Math.max(...loops.map((l) => l.p99_ms!)),
      max_ms: Math.max(...loops.map((l) => l.max_ms!)),
    };
    const bareRate = mean(bare);
    const rate = mean(runs.map((r) => r.rps));
    return [
      figure({
        name: 'login.rps',
        label: `Logins/s via HTTP (c=${s.concurrency}, bcrypt cost ${s.bcrypt_cost})`,
        value: rate,
        unit: 'logins/s',
        baseline: { label: 'bare bcrypt.compare', value: bareRate, unit: 'compares/s' },
        goal: { text: '≥ 90% of bcrypt', ratioAtLeast: 0.9 },
        details: {
          rounds: s.rounds,
          round_s: roundS,
          login_per_round: runs.map((r) => round(r.rps)),
          bare_per_round: bare.map((r) => round(r)),
          p50_ms: mean(runs.map((r) => r.p50_ms)),
          p99_ms: Math.max(...runs.map((r) => r.p99_ms)),
          non2xx: runs.reduce((a, r) => a + r.non2xx, 0),
          errors: runs.reduce((a, r) => a + r.errors, 0),
          // Worst round; includes the time the OS does not schedule the main thread while the
          // four bcrypt threads use both cores, so it is an upper bound on any blocking.
          event_loop_delay_ms: { ...loop, resolution_ms: 10 },
          uv_threadpool_size: THREADPOOL,
        },
      }),
    ];
  } finally {
    await service.stop();
  }
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
