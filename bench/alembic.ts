import { spawnSync } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseConfig } from '../src/config/config';
import { MigrationDataSource } from '../src/db/migration-data-source';
import { writeAlembicProject } from './alembic-project';
import type { BenchContext } from './lib/context';
import { figure, round, type Figure } from './lib/results';
import { median, timeCommand, type TimedRun } from './lib/timing';

const PYTHON = '/usr/bin/python3';

export const ALEMBIC_SETTINGS = {
  runs: 7,
  warmup_runs: 1,
  ours: './migrate <command> (the repository\'s bin: node, no npm in front)',
  baseline: "Debian's python3-alembic 1.8.1 (python3 -m alembic), SQLAlchemy 1.4, psycopg2",
  model: 'bench/alembic-project.ts: the seed\'s layout (env.py imports every service\'s models), a SQLAlchemy model written from the catalog of a database at head: same tables, columns, keys, foreign keys, uniques, plain indexes',
  database: 'a database of its own at head, both tools stamped there',
};

/**
 * The seed's everyday commands beside Alembic's on an equivalent model (issue 24 item 7):
 * `current`, `upgrade head` with nothing to do, and generate with no change. Median wall time,
 * the two alternated so that a busy machine slows both alike. Debian's python3-alembic is
 * installed when missing and the bench runs as root; otherwise this bench is skipped, saying so.
 */
export async function benchAlembic(ctx: BenchContext): Promise<Figure[]> {
  ensureAlembic();
  const runs = ctx.quick ? 3 : ALEMBIC_SETTINGS.runs;
  const dbUrl = await ctx.createDatabase('cathouse_bench_alembic');
  const migrations = new MigrationDataSource(parseConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent', MIGRATION_CREATE_ROLES: 'true' }), dbUrl, { onEvent: () => undefined });
  await migrations.initialize();
  try {
    await migrations.runMigrations();
  } finally {
    await migrations.destroy();
  }
  const dir = await mkdtemp(path.join(tmpdir(), 'cathouse-bench-alembic-'));
  try {
    const ini = await writeAlembicProject(dir, dbUrl);
    const alembic = (...args: string[]) => timeCommand(PYTHON, ['-m', 'alembic', '-c', ini, ...args], {});
    const env = { MIGRATION_DATABASE_URL: dbUrl, NODE_ENV: 'development', LOG_LEVEL: 'silent', DATABASE_URL: undefined };
    const ours = (...args: string[]) => timeCommand('./migrate', args, env);
    expectCode('alembic stamp head', await alembic('stamp', 'head'), [0]);
    const versions = path.join(dir, 'alembic', 'versions');
    // Alembic writes a revision even when nothing changed: each run's file is removed before the next.
    const dropGenerated = async () => {
      for (const f of await readdir(versions)) if (f !== '0001_head.py' && f.endsWith('.py')) await rm(path.join(versions, f));
    };
    const generatedIsEmpty = async () => {
      const file = (await readdir(versions)).find((f) => f !== '0001_head.py' && f.endsWith('.py'));
      const text = file ? await readFile(path.join(versions, file), 'utf8') : '';
      return /def upgrade\(\):\s+pass\s/.test(text);
    };

    const cases: { name: string; label: string; ours: () => Promise<TimedRun>; oursCodes: number[]; alembic: () => Promise<TimedRun>; after?: () => Promise<void> }[] = [
      { name: 'alembic.current', label: '`./migrate current` vs `alembic current`', ours: () => ours('current'), oursCodes: [0], alembic: () => alembic('current') },
      { name: 'alembic.upgrade.noop', label: '`./migrate up` vs `alembic upgrade head`, nothing to do', ours: () => ours('up'), oursCodes: [0], alembic: () => alembic('upgrade', 'head') },
      {
        name: 'alembic.generate.nochange',
        label: '`./migrate generate NAME` vs `alembic revision --autogenerate`, no change',
        // Nothing to generate is exit 1 here, with one line saying what was compared.
        ours: () => ours('generate', 'no-change'),
        oursCodes: [1],
        alembic: () => alembic('revision', '--autogenerate', '-m', 'no change'),
        after: dropGenerated,
      },
    ];
    let alembicSawNoChange = false;
    const figures: Figure[] = [];
    for (const c of cases) {
      expectCode(c.label, await c.ours(), c.oursCodes);
      expectCode(c.label, await c.alembic(), [0]);
      if (c.name === 'alembic.generate.nochange') alembicSawNoChange = await generatedIsEmpty();
      await c.after?.();
      const oursMs: number[] = [];
      const alembicMs: number[] = [];
      for (let i = 0; i < runs; i++) {
        oursMs.push(expectCode(c.label, await c.ours(), c.oursCodes).ms);
        alembicMs.push(expectCode(c.label, await c.alembic(), [0]).ms);
        await c.after?.();
      }
      figures.push(
        figure({
          name: c.name,
          label: c.label,
          value: median(oursMs),
          unit: 'ms',
          baseline: { label: 'Alembic 1.8.1', value: median(alembicMs) },
          goal: { text: 'at least as fast as Alembic (ratio ≤ 1)', ratioBelow: 1 + 1e-9 },
          details: {
            runs_ms: oursMs.map((n) => round(n, 0)),
            baseline_runs_ms: alembicMs.map((n) => round(n, 0)),
            ...(c.name === 'alembic.generate.nochange' ? { alembic_generated_an_empty_revision: alembicSawNoChange } : {}),
          },
        }),
      );
    }
    return figures;
  } finally {
    await rm(dir, { recursive: true, force: true });
    await ctx.dropDatabase('cathouse_bench_alembic');
  }
}

function expectCode(what: string, run: TimedRun, codes: number[]): TimedRun {
  if (!codes.includes(run.code ?? -1)) throw new Error(`${what}: exited ${run.code}: ${(run.stderr || run.stdout).trim().slice(-600)}`);
  return run;
}

/** Debian's python3-alembic, installed with apt-get when missing (as root); otherwise the bench stops with the command to run. */
function ensureAlembic(): void {
  const present = () => spawnSync(PYTHON, ['-c', 'import alembic, psycopg2'], { stdio: 'ignore' }).status === 0;
  if (present()) return;
  const root = process.getuid?.() === 0;
  if (root && spawnSync('apt-get', ['--version'], { stdio: 'ignore' }).status === 0) {
    process.stderr.write('bench: alembic: installing Debian\'s python3-alembic and python3-psycopg2 (apt-get)\n');
    spawnSync('apt-get', ['install', '-y', '-qq', 'python3-alembic', 'python3-psycopg2'], { stdio: 'ignore', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
    if (present()) return;
  }
  throw new Error('python3-alembic is not installed (and could not be here): apt-get install python3-alembic python3-psycopg2, then run npm run bench -- --only=alembic');
}
