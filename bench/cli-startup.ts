import path from 'node:path';
import { REPO_ROOT } from '../test/reliability/support/service-process';
import type { BenchContext } from './lib/context';
import { figure, round, type Figure } from './lib/results';
import { expectSuccess, median, timeCommand } from './lib/timing';

export const CLI_SETTINGS = {
  runs: 5,
  warmup_runs: 1,
  ours: 'npm run migrate -- status',
  baseline: 'typeorm-ts-node-commonjs migration:show -d data-source.ts (ts-node, type-checking as it does by default)',
  database: 'the benchmark database at head',
};

/**
 * 4. Start-up of `npm run migrate -- status` against `typeorm-ts-node-commonjs migration:show`
 * on this project (the same data-source.ts, migrations and database), median wall time of
 * several runs after a warm-up run each (so both read a warm file-system cache).
 */
export async function benchCliStartup(ctx: BenchContext): Promise<Figure[]> {
  const runs = ctx.quick ? 3 : CLI_SETTINGS.runs;
  const env = { MIGRATION_DATABASE_URL: ctx.serviceDbUrl, NODE_ENV: 'development', LOG_LEVEL: 'silent', DATABASE_URL: undefined };
  const ours = () => timeCommand('npm', ['run', '-s', 'migrate', '--', 'status'], env);
  const baseline = () =>
    timeCommand(path.join(REPO_ROOT, 'node_modules/.bin/typeorm-ts-node-commonjs'), ['migration:show', '-d', 'data-source.ts'], env);

  const oursMs: number[] = [];
  const baselineMs: number[] = [];
  expectSuccess('npm run migrate -- status', await ours());
  expectSuccess('typeorm-ts-node-commonjs migration:show', await baseline());
  // Alternate, so that drift on a busy machine touches both alike.
  for (let i = 0; i < runs; i++) {
    oursMs.push(expectSuccess('npm run migrate -- status', await ours()).ms);
    baselineMs.push(expectSuccess('typeorm-ts-node-commonjs migration:show', await baseline()).ms);
  }
  const oursMedian = median(oursMs);
  const baselineMedian = median(baselineMs);
  return [
    figure({
      name: 'cli.status.startup',
      label: '`npm run migrate -- status` wall time (median)',
      value: oursMedian,
      unit: 'ms',
      baseline: { label: 'typeorm-ts-node-commonjs migration:show', value: baselineMedian },
      goal: { text: '≥ 3× faster (ratio ≤ 0.33)', ratioBelow: 1 / 3 + 1e-9 },
      details: { runs_ms: oursMs.map((n) => round(n, 0)), baseline_runs_ms: baselineMs.map((n) => round(n, 0)), speedup: round(baselineMedian / oursMedian) },
    }),
  ];
}
