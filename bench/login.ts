import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { REPO_ROOT } from '../test/reliability/support/service-process';
import { inBatches, postJson, type BenchContext } from './lib/context';
import { load } from './lib/load';
import { figure, round, type Figure } from './lib/results';

export const LOGIN_SETTINGS = { concurrency: 16, bcrypt_cost: 12, users: 16, duration_s: 20, warmup_s: 3 };

/** UV_THREADPOOL_SIZE of both processes: the caller's, or libuv's default of 4. */
export const THREADPOOL = process.env.UV_THREADPOOL_SIZE ?? '4';

/**
 * 1. Logins/s through HTTP at concurrency 16 and the production bcrypt cost, beside bare
 * bcrypt.compare/s at the same cost, concurrency and thread-pool size in a process of its own.
 * The service's event-loop delay during the run shows whether anything blocks it.
 */
export async function benchLogin(ctx: BenchContext): Promise<Figure[]> {
  const s = { ...LOGIN_SETTINGS, duration_s: ctx.seconds(LOGIN_SETTINGS.duration_s) };
  const bare = JSON.parse(
    (
      await promisify(execFile)(process.execPath, ['-r', '@swc-node/register', 'bench/bcrypt-baseline.ts'], {
        cwd: REPO_ROOT,
        env: {
          ...process.env,
          UV_THREADPOOL_SIZE: THREADPOOL,
          COST: String(s.bcrypt_cost),
          CONCURRENCY: String(s.concurrency),
          DURATION_S: String(s.duration_s),
          WARMUP_S: String(s.warmup_s),
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
    await fetch(`${service.url}/bench/event-loop`); // resets the histogram
    const run = await load({ url: service.url, connections: s.concurrency, durationS: s.duration_s, request });
    const loop = (await (await fetch(`${service.url}/bench/event-loop`)).json()) as Record<string, number>;
    return [
      figure({
        name: 'login.rps',
        label: `Logins/s via HTTP (c=${s.concurrency}, bcrypt cost ${s.bcrypt_cost})`,
        value: run.rps,
        unit: 'logins/s',
        baseline: { label: 'bare bcrypt.compare', value: bare.per_s, unit: 'compares/s' },
        goal: { text: '≥ 90% of bcrypt', ratioAtLeast: 0.9 },
        details: {
          p50_ms: run.p50_ms,
          p99_ms: run.p99_ms,
          non2xx: run.non2xx,
          errors: run.errors,
          status_codes: run.status_codes,
          event_loop_delay_ms: loop,
          uv_threadpool_size: THREADPOOL,
          bare_bcrypt_per_s: round(bare.per_s),
        },
      }),
    ];
  } finally {
    await service.stop();
  }
}
