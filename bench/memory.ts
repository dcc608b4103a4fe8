import { inBatches, postJson, type BenchContext } from './lib/context';
import { load, type LoadRequest } from './lib/load';
import { processMemory } from './lib/probes';
import { figure, round, type Figure } from './lib/results';
import { expectSuccess, timeCommand } from './lib/timing';

export const MEMORY_SETTINGS = {
  concurrency: 32,
  duration_s: 8,
  sessions: 96,
  idle_settle_ms: 2000,
  load: 'refresh for duration_s, then GET /me for duration_s, at the concurrency of the refresh bench, direct',
  rss: 'VmRSS after start-up and idle_settle_ms with no request (idle), VmHWM after the load (peak), from /proc/PID/status',
  variants: {
    build: 'node dist/src/main.js (npm run build; what npm start runs with NODE_ENV=production and the Docker image runs)',
    development: 'node -r ./src/cli/register-ts.js src/main.ts (npm start in development since issue 15)',
    previous_development: 'node -r @swc-node/register src/main.ts (npm start before issue 15: the only way to run the service)',
  },
};

const VARIANTS: Record<keyof typeof MEMORY_SETTINGS.variants, string[]> = {
  build: ['dist/src/main.js'],
  development: ['-r', './src/cli/register-ts.js', 'src/main.ts'],
  previous_development: ['-r', '@swc-node/register', 'src/main.ts'],
};

interface Sample {
  idle_mib: number;
  peak_mib: number;
  rps: { refresh: number; me: number };
}

/**
 * 6. The service's memory: each way of running it, started as its own process with the same
 * production configuration, idle and then under the refresh and /me load of the refresh bench.
 */
export async function benchMemory(ctx: BenchContext): Promise<Figure[]> {
  const durationS = ctx.seconds(MEMORY_SETTINGS.duration_s);
  expectSuccess('npm run build', await timeCommand('npm', ['run', '-s', 'build'], {}));
  const samples: Partial<Record<keyof typeof VARIANTS, Sample>> = {};
  for (const [variant, entry] of Object.entries(VARIANTS) as [keyof typeof VARIANTS, string[]][]) {
    const service = await ctx.startService({ databaseUrl: ctx.serviceDbUrl, bcryptCost: 4, entry });
    try {
      await new Promise((r) => setTimeout(r, MEMORY_SETTINGS.idle_settle_ms));
      const idle = processMemory(service.child.pid!).rss_mib;
      const password = 'correct horse battery staple';
      const email = `memory-${variant}-${Date.now()}@example.com`;
      await postJson(`${service.url}/api/v1/auth/register`, { email, password }, 201);
      const login = () => postJson<{ refresh_token: string; access_token: string }>(`${service.url}/api/v1/auth/login`, { email, password }, 200);
      const sessions = await inBatches(Array.from({ length: MEMORY_SETTINGS.sessions }), 4, login);
      const tokens = sessions.map((t) => t.refresh_token);
      const refreshReq: LoadRequest = {
        method: 'POST',
        path: '/api/v1/auth/refresh',
        headers: { 'content-type': 'application/json' },
        setupRequest: (req, context) => {
          const token = tokens.shift();
          if (!token) throw new Error('the memory benchmark ran out of live sessions: some refresh failed');
          context.token = token;
          return { ...req, body: JSON.stringify({ refresh_token: token }) };
        },
        onResponse: (status, body, context) => {
          tokens.push(status === 200 ? (JSON.parse(body) as { refresh_token: string }).refresh_token : (context.token as string));
        },
      };
      const meReq: LoadRequest = { method: 'GET', path: '/api/v1/auth/me', headers: { authorization: `Bearer ${sessions[0]!.access_token}` } };
      const run = (request: LoadRequest) => load({ url: service.url, connections: MEMORY_SETTINGS.concurrency, durationS, request });
      const refresh = await run(refreshReq);
      const me = await run(meReq);
      samples[variant] = { idle_mib: idle, peak_mib: processMemory(service.child.pid!).peak_rss_mib, rps: { refresh: round(refresh.rps), me: round(me.rps) } };
    } finally {
      await service.stop();
    }
  }
  const { build, development, previous_development: previous } = samples as Record<keyof typeof VARIANTS, Sample>;
  return [
    figure({
      name: 'memory.build.peak_rss',
      label: 'Service peak RSS under load, the build (node dist/src/main.js)',
      value: build.peak_mib,
      unit: 'MiB',
      baseline: { label: 'the previous development path (node -r @swc-node/register src/main.ts), same load', value: previous.peak_mib },
      goal: { text: '≤ 0.75 × previous development path', ratioBelow: 0.75 + 1e-9 },
      details: { samples },
    }),
    figure({
      name: 'memory.build.idle_rss',
      label: 'Service idle RSS after start-up, the build',
      value: build.idle_mib,
      unit: 'MiB',
      baseline: { label: 'the previous development path, idle', value: previous.idle_mib },
    }),
    figure({
      name: 'memory.development.peak_rss',
      label: 'Service peak RSS under load, npm start in development (register-ts.js)',
      value: development.peak_mib,
      unit: 'MiB',
      baseline: { label: 'the previous development path, same load', value: previous.peak_mib },
      details: { idle_mib: development.idle_mib, previous_idle_mib: previous.idle_mib },
    }),
  ];
}
