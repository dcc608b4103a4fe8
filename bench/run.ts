/**
 * `npm run bench [-- --only=login,refresh,verify,cli,migrations,memory,exchange,me-sessions,revocation,alembic] [--quick]`
 * `npm run bench -- --scale[=F] [--quick] [--paths=admin_search,refresh,...]`: the data-scale suite
 * instead (bench/scale: seeds a million users, F times that, and writes bench/results-scale.md;
 * with --paths only those hot paths, no pruning, into bench/results-scale-paths.md).
 *
 * Measures each figure of issue 5 beside a baseline from the same run, then writes
 * bench/results.md (the table) and bench/results.json (name, value, unit, baseline, ratio,
 * settings) and prints the table. Loopback only; one PostgreSQL for the whole run.
 * Exit code 1 when a benchmark could not run (the others are still written).
 */
import 'reflect-metadata';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ALEMBIC_SETTINGS, benchAlembic } from './alembic';
import { benchCliStartup, CLI_SETTINGS } from './cli-startup';
import { BENCH_SERVICE_ENV, createBenchContext, POSTGRES_SETTINGS, type BenchContext } from './lib/context';
import { machine, markdownReport, markdownTable, type BenchReport, type Figure } from './lib/results';
import { benchLogin, LOGIN_SETTINGS, THREADPOOL } from './login';
import { benchManyMigrations, MIGRATIONS_SETTINGS } from './many-migrations';
import { benchMeSessions, ME_SESSIONS_SETTINGS } from './me-sessions';
import { benchMemory, MEMORY_SETTINGS } from './memory';
import { benchRefresh, REFRESH_SETTINGS } from './refresh';
import { PATHS, type PathName } from './scale/hot-paths';
import { runScale } from './scale/run-scale';
import { benchVerify, VERIFY_SETTINGS } from './verify';
import { benchTokenExchange, EXCHANGE_SETTINGS } from './token-exchange';
import { benchRevocation, REVOCATION_SETTINGS } from './revocation';

const BENCHES: Record<string, (ctx: BenchContext) => Promise<Figure[]>> = {
  login: benchLogin,
  refresh: benchRefresh,
  verify: benchVerify,
  cli: benchCliStartup,
  migrations: benchManyMigrations,
  memory: benchMemory,
  'me-sessions': benchMeSessions,
  exchange: benchTokenExchange,
  revocation: benchRevocation,
  alembic: benchAlembic,
};

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const quick = args.includes('--quick');
  const scale = args.find((a) => a === '--scale' || a.startsWith('--scale='));
  if (scale) {
    const factor = scale === '--scale' ? 1 : Number(scale.slice('--scale='.length));
    if (!(factor > 0 && factor <= 10)) {
      process.stderr.write(`--scale=${scale.slice('--scale='.length)}: expected a factor of the seeded shape, 0 < F <= 10 (e.g. --scale=0.01)\n`);
      process.exit(2);
    }
    const paths = args.find((a) => a.startsWith('--paths='))?.slice('--paths='.length).split(',');
    const unknownPaths = (paths ?? []).filter((p) => !(PATHS as readonly string[]).includes(p));
    if (unknownPaths.length) {
      process.stderr.write(`--paths: unknown hot path(s) ${unknownPaths.join(', ')}; choose from ${PATHS.join(', ')}\n`);
      process.exit(2);
    }
    await runScale(factor, quick, paths as PathName[] | undefined);
    process.exit(0);
  }
  const only = args.find((a) => a.startsWith('--only='))?.slice('--only='.length).split(',');
  const unknown = (only ?? []).filter((b) => !(b in BENCHES));
  if (unknown.length) {
    process.stderr.write(`unknown benchmark(s): ${unknown.join(', ')}; choose from ${Object.keys(BENCHES).join(', ')}\n`);
    process.exit(2);
  }
  const selected = only ?? Object.keys(BENCHES);

  const report: BenchReport = {
    generated_at: new Date().toISOString(),
    machine: machine(),
    settings: {
      quick,
      durations_scaled_for_quick: quick ? 'durations / 4 (at least 2 s)' : false,
      postgres: { ...POSTGRES_SETTINGS, fsync: 'on (default)', synchronous_commit: 'on (default)' },
      uv_threadpool_size: THREADPOOL,
      service_env: BENCH_SERVICE_ENV,
      load_generator: 'autocannon 9 (in the runner process; the service runs in its own process)',
      login: LOGIN_SETTINGS,
      refresh: REFRESH_SETTINGS,
      verify: VERIFY_SETTINGS,
      cli: CLI_SETTINGS,
      migrations: MIGRATIONS_SETTINGS,
      memory: MEMORY_SETTINGS,
      me_sessions: ME_SESSIONS_SETTINGS,
      exchange: EXCHANGE_SETTINGS,
      revocation: REVOCATION_SETTINGS,
      alembic: ALEMBIC_SETTINGS,
    },
    results: [],
    skipped: [],
  };

  const ctx = await createBenchContext(quick);
  try {
    for (const name of selected) {
      const started = Date.now();
      process.stderr.write(`bench: ${name}...\n`);
      try {
        const figures = await BENCHES[name]!(ctx);
        report.results.push(...figures);
        process.stderr.write(`bench: ${name} done in ${Math.round((Date.now() - started) / 1000)} s\n`);
      } catch (err) {
        const reason = err instanceof Error ? err.message.split('\n')[0]! : String(err);
        report.skipped.push({ bench: name, reason });
        process.stderr.write(`bench: ${name} could not run: ${reason}\n`);
      }
    }
  } finally {
    await ctx.close();
  }

  const dir = __dirname;
  await writeFile(path.join(dir, 'results.json'), JSON.stringify(report, null, 2) + '\n');
  await writeFile(path.join(dir, 'results.md'), markdownReport(report));
  process.stdout.write(`\n${markdownTable(report)}\n\n`);
  if (report.skipped.length) {
    for (const s of report.skipped) process.stdout.write(`not measured: ${s.bench}: ${s.reason}\n`);
  }
  process.stdout.write(`written: bench/results.md, bench/results.json\n`);
  process.exit(report.skipped.length ? 1 : 0);
}

main().catch((err: unknown) => {
  // fetch's own message is only "fetch failed": the reason (ECONNREFUSED, a reset...) is its cause.
  const cause = err instanceof Error && err.cause ? `\ncaused by: ${err.cause instanceof Error ? err.cause.stack : String(err.cause)}` : '';
  process.stderr.write(`bench failed: ${err instanceof Error ? err.stack : String(err)}${cause}\n`);
  process.exit(1);
});
