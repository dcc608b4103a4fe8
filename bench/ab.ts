/**
 * `npm run bench:ab -- [me|sessions] --variant=NAME[:KEY=VALUE;KEY=VALUE] --variant=... [--rounds=N] [--seconds=S] [--connections=C] [--pgbouncer]`
 *
 * A/B comparison of one endpoint's rate against the SELECT 1 handler, for several service
 * variants in the same period: one PostgreSQL, one bench service process per variant (started
 * with the variant's environment on top of `npm run bench`'s, e.g. `DB_POOL_MAX=20`), then rounds
 * in which each variant in turn serves the SELECT 1 handler and the endpoint, the order of the
 * variants rotating every round. Only one process is under load at a time, so load from
 * elsewhere on a shared machine touches every variant alike; the median of each variant's
 * per-round ratios is what to compare (with its spread: differences within it are noise).
 * `--variant=main` with no environment is the code as it is. The rows of `npm run bench` decide;
 * this finds which change moves them (issue 31: GET /me's regression was found this way).
 */
import 'reflect-metadata';
import { startPgBouncer } from '../test/support/pgbouncer';
import path from 'node:path';
import { BENCH_SERVICE_ENV, createBenchContext, postJson } from './lib/context';
import { load, type LoadRequest } from './lib/load';
import { processCpuMs, startDatabaseCost } from './lib/probes';

interface Variant {
  name: string;
  env: Record<string, string>;
}

function parseVariant(arg: string): Variant {
  const [name, rest = ''] = arg.slice('--variant='.length).split(/:(.*)/s);
  const env = Object.fromEntries(
    rest
      .split(';')
      .filter(Boolean)
      .map((kv) => {
        const eq = kv.indexOf('=');
        if (eq < 1) throw new Error(`--variant=${name}: expected KEY=VALUE pairs separated by ';', got ${kv}`);
        return [kv.slice(0, eq), kv.slice(eq + 1)];
      }),
  );
  return { name: name!, env };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const endpoint = args.find((a) => !a.startsWith('--')) ?? 'me';
  if (endpoint !== 'me' && endpoint !== 'sessions') throw new Error(`unknown endpoint ${endpoint}; choose me or sessions`);
  const variants = args.filter((a) => a.startsWith('--variant=')).map(parseVariant);
  if (!variants.length) variants.push({ name: 'main', env: {} });
  const rounds = Number(args.find((a) => a.startsWith('--rounds='))?.slice(9) ?? 4);
  const seconds = Number(args.find((a) => a.startsWith('--seconds='))?.slice(10) ?? 4);
  const viaBouncer = args.includes('--pgbouncer');

  const ctx = await createBenchContext(false);
  const bouncer = viaBouncer ? await startPgBouncer(ctx.serviceDbUrl, { poolSize: 10 }) : undefined;
  const services = [];
  try {
    for (const v of variants) {
      const { AB_DIR: dir, ...env } = v.env;
      services.push(dir ? await startFrom(dir, ctx, bouncer?.url ?? ctx.serviceDbUrl, env) : await ctx.startService({ databaseUrl: bouncer?.url ?? ctx.serviceDbUrl, bcryptCost: 4, extra: { DB_POOL_MAX: '10', ...env } }));
    }
    const first = services[0]!;
    const email = `ab-${Date.now()}@example.com`;
    const password = 'correct horse battery staple';
    await postJson(`${first.url}/api/v1/auth/register`, { email, password }, 201);
    // One session for all: every process signs and verifies with the same key.
    const { access_token: token } = await postJson<{ access_token: string }>(`${first.url}/api/v1/auth/login`, { email, password }, 200);
    const path = endpoint === 'me' ? '/api/v1/auth/me' : '/api/v1/auth/me/sessions';
    const it: LoadRequest = { method: 'GET', path, headers: { authorization: `Bearer ${token}` } };
    const base: LoadRequest = { method: 'GET', path: '/bench/select1' };
    const connections = Number(args.find((a) => a.startsWith('--connections='))?.slice(14) ?? 32);
    if (args.includes('--concurrent')) {
      await concurrentRounds(services, variants, { endpoint, it, base, rounds, seconds, connections });
      return;
    }
    type Sample = { ratio: number; svc: number; pg: number; baseSvc: number; basePg: number };
    const samples = new Map<string, Sample[]>(variants.map((v) => [v.name, []]));
    const f = (x: number) => x.toFixed(3);
    for (let r = 0; r < rounds; r++) {
      for (let k = 0; k < variants.length; k++) {
        const i = (k + r) % variants.length;
        const service = services[i]!;
        const measure = () => startDatabaseCost(ctx.adminUrl, ctx.postgresDataDir, service.child.pid);
        const run = (request: LoadRequest) => load({ url: service.url, connections, durationS: seconds, warmupS: r === 0 ? 2 : 0, request, measure });
        const b = await run(base);
        const e = await run(it);
        if (e.non2xx || b.non2xx) throw new Error(`${variants[i]!.name}: non-2xx answers (${endpoint} ${e.non2xx}, SELECT 1 ${b.non2xx})`);
        const ms = (x: typeof e, key: string) => (x.measured?.[key] ?? NaN) / x.ok;
        const s: Sample = { ratio: e.rps / b.rps, svc: ms(e, 'service_cpu_ms'), pg: ms(e, 'postgres_cpu_ms'), baseSvc: ms(b, 'service_cpu_ms'), basePg: ms(b, 'postgres_cpu_ms') };
        samples.get(variants[i]!.name)!.push(s);
        process.stdout.write(
          `round ${r + 1} ${variants[i]!.name.padEnd(16)} ${endpoint} ${Math.round(e.rps)} req/s, SELECT 1 ${Math.round(b.rps)}: ${f(s.ratio)}; ` +
            `CPU ms/req: service ${f(s.svc)} (SELECT 1 ${f(s.baseSvc)}), PostgreSQL ${f(s.pg)} (SELECT 1 ${f(s.basePg)})\n`,
        );
      }
    }
    process.stdout.write(`\n${endpoint} vs SELECT 1 (${viaBouncer ? 'PgBouncer' : 'direct'}, c=${connections}, ${rounds} rounds of ${seconds} s), medians:\n`);
    for (const v of variants) {
      const ss = samples.get(v.name)!;
      const m = (key: keyof Sample) => median(ss.map((x) => x[key]));
      const rs = ss.map((x) => x.ratio);
      process.stdout.write(
        `${v.name.padEnd(16)} ratio ${f(m('ratio'))} (${f(Math.min(...rs))}-${f(Math.max(...rs))}); CPU ms/req: service ${f(m('svc'))} (SELECT 1 ${f(m('baseSvc'))}), ` +
          `PostgreSQL ${f(m('pg'))} (SELECT 1 ${f(m('basePg'))})\n`,
      );
    }
  } finally {
    await Promise.all(services.map((s) => s.stop()));
    await bouncer?.stop();
    await ctx.close();
  }
}

/**
 * AB_DIR=<worktree> in a variant: that checkout's bench service (e.g. an older commit, built in a
 * scratch worktree with its own node_modules), on this run's database. Its code must accept the
 * schema at this checkout's head (older code reading fewer columns does).
 */
async function startFrom(dir: string, ctx: Awaited<ReturnType<typeof createBenchContext>>, databaseUrl: string, env: Record<string, string>) {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const other = require(path.join(dir, 'test/reliability/support/service-process')) as typeof import('../test/reliability/support/service-process');
  return other.startServiceProcess({
    script: 'bench/server.ts',
    env: other.productionEnv({ databaseUrl, key: ctx.key, bcryptCost: 4, extra: { LOG_LEVEL: 'silent', ...BENCH_SERVICE_ENV, DB_POOL_MAX: '10', ...env } }),
    startTimeoutMs: 60_000,
  });
}

/**
 * --concurrent: every variant under load at the same time (c=connections each), the endpoint's
 * runs and the SELECT 1 handler's alternating. On a machine others load, variants measured in the
 * same seconds share the same contention: their CPU per request (utime+stime of each service
 * process over its 2xx answers) compares where sequential rates do not. PostgreSQL's CPU cannot
 * be told apart per variant here.
 */
async function concurrentRounds(
  services: Awaited<ReturnType<Awaited<ReturnType<typeof createBenchContext>>['startService']>>[],
  variants: Variant[],
  o: { endpoint: string; it: LoadRequest; base: LoadRequest; rounds: number; seconds: number; connections: number },
): Promise<void> {
  const f = (x: number) => x.toFixed(3);
  const cpu = new Map<string, { it: number[]; base: number[]; share: number[] }>(variants.map((v) => [v.name, { it: [], base: [], share: [] }]));
  let turn = 0;
  const together = async (request: LoadRequest, warmupS: number) => {
    // The first run started gets a head start in the shared load generator: the order rotates.
    const order = services.map((_, i) => (i + turn) % services.length);
    turn++;
    const cpu0 = services.map((s) => processCpuMs(s.child.pid!));
    const started = order.map((i) => load({ url: services[i]!.url, connections: o.connections, durationS: o.seconds, warmupS, request }));
    const byOrder = await Promise.all(started);
    const results = services.map((_, i) => byOrder[order.indexOf(i)]!);
    return results.map((r, i) => ({ rps: r.rps, cpuPerReq: (processCpuMs(services[i]!.child.pid!) - cpu0[i]!) / (r.ok + r.non2xx), non2xx: r.non2xx }));
  };
  for (let r = 0; r < o.rounds; r++) {
    const b = await together(o.base, r === 0 ? 2 : 0);
    const e = await together(o.it, r === 0 ? 2 : 0);
    const total = e.reduce((acc, x) => acc + x.rps, 0);
    variants.forEach((v, i) => {
      if (e[i]!.non2xx || b[i]!.non2xx) throw new Error(`${v.name}: non-2xx answers`);
      const c = cpu.get(v.name)!;
      c.it.push(e[i]!.cpuPerReq);
      c.base.push(b[i]!.cpuPerReq);
      c.share.push(e[i]!.rps / total);
      process.stdout.write(
        `round ${r + 1} ${v.name.padEnd(16)} ${o.endpoint} ${Math.round(e[i]!.rps)} req/s (share ${f(e[i]!.rps / total)}), service CPU ${f(e[i]!.cpuPerReq)} ms/req; ` +
          `SELECT 1 ${Math.round(b[i]!.rps)} req/s, ${f(b[i]!.cpuPerReq)} ms/req\n`,
      );
    });
  }
  process.stdout.write(`\n${o.endpoint}, all variants at once (c=${o.connections} each, ${o.rounds} rounds of ${o.seconds} s), medians:\n`);
  for (const v of variants) {
    const c = cpu.get(v.name)!;
    const beyond = c.it.map((x, j) => x - c.base[j]!);
    process.stdout.write(
      `${v.name.padEnd(16)} service CPU ${f(median(c.it))} ms/req (SELECT 1 ${f(median(c.base))}; beyond it ${f(median(beyond))}, ` +
        `${f(Math.min(...beyond))}-${f(Math.max(...beyond))}); share of the ${o.endpoint} answers ${f(median(c.share))}\n`,
    );
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
