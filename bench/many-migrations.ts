import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { migrateCommand } from '../test/reliability/support/migrate-command';
import type { BenchContext } from './lib/context';
import { figure, round, type Figure } from './lib/results';
import { expectSuccess, median, timeCommand } from './lib/timing';

export const MIGRATIONS_SETTINGS = {
  migrations: 200,
  runs: 5,
  each_migration: 'CREATE TABLE with 4 columns, a foreign key to the previous table and an index; down drops it',
  transactions: 'one per migration on both sides (typeorm: migrationsTransactionMode each)',
  ours: 'the command of the npm "migrate" script + up --dir DIR (without npm in between)',
  baseline: 'node_modules/typeorm/cli.js migration:run -d bench/plain-data-source.ts -t each, with the same TypeScript loader (-r) as the migrate script',
};

/** Writes `count` TypeORM migrations, each creating a table that references the previous one. */
async function generateMigrations(dir: string, count: number): Promise<void> {
  const base = 1_800_000_000_000;
  for (let i = 1; i <= count; i++) {
    const name = `BenchTable${String(i).padStart(3, '0')}`;
    const table = `bench_table_${i}`;
    const fk = i > 1 ? `, "parent_id" integer REFERENCES "bench_table_${i - 1}"("id")` : ', "parent_id" integer';
    await writeFile(
      path.join(dir, `${base + i}-${name}.ts`),
      `import type { MigrationInterface, QueryRunner } from 'typeorm';

export class ${name}${base + i} implements MigrationInterface {
  name = '${name}${base + i}';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(\`CREATE TABLE "${table}" ("id" serial PRIMARY KEY, "label" text NOT NULL, "created_at" timestamptz NOT NULL DEFAULT now()${fk})\`);
    await queryRunner.query(\`CREATE INDEX "${table}_label_idx" ON "${table}" ("label")\`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(\`DROP TABLE "${table}"\`);
  }
}
`,
    );
  }
}

/**
 * 5. Applying 200 generated migrations to an empty database with `migrate up`, beside plain
 * `typeorm migration:run` of the same files with the same TypeScript loader, each on a fresh
 * database, alternating, median of several runs. The difference is our lock, checksums and
 * bookkeeping (and our CLI's start-up).
 */
export async function benchManyMigrations(ctx: BenchContext): Promise<Figure[]> {
  const count = ctx.quick ? 50 : MIGRATIONS_SETTINGS.migrations;
  const runs = ctx.quick ? 1 : MIGRATIONS_SETTINGS.runs;
  const dir = await mkdtemp(path.join(tmpdir(), 'cathouse-bench-migrations-'));
  try {
    await generateMigrations(dir, count);
    const cli = migrateCommand(['up', '--dir', dir]);
    const oursMs: number[] = [];
    const baselineMs: number[] = [];
    const runOurs = async (i: number) => {
      const a = await ctx.createDatabase(`bench_many_ours_${i}`);
      await checkpoint(ctx);
      const ours = expectSuccess(
        'migrate up',
        await timeCommand(cli.command, cli.args, {
          MIGRATION_DATABASE_URL: a,
          NODE_ENV: 'development',
          DATABASE_URL: undefined,
        }),
      );
      await checkApplied(a, count);
      oursMs.push(ours.ms);
      await ctx.dropDatabase(`bench_many_ours_${i}`);
    };
    const runPlain = async (i: number) => {
      const b = await ctx.createDatabase(`bench_many_typeorm_${i}`);
      await checkpoint(ctx);
      const plain = expectSuccess(
        'typeorm migration:run',
        await timeCommand(
          process.execPath,
          [...cli.loaderArgs, 'node_modules/typeorm/cli.js', 'migration:run', '-d', 'bench/plain-data-source.ts', '-t', 'each'],
          { BENCH_DATABASE_URL: b, BENCH_MIGRATIONS_DIR: dir },
        ),
      );
      await checkApplied(b, count);
      baselineMs.push(plain.ms);
      await ctx.dropDatabase(`bench_many_typeorm_${i}`);
    };
    // Each run starts from a checkpoint, so none pays for the WAL of the one before (200
    // migrations' DDL triggered one mid-run, and run times rose through the series), and the
    // order alternates, so that whatever drift is left touches both sides alike.
    for (let i = 0; i < runs; i++) {
      if (i % 2 === 0) {
        await runOurs(i);
        await runPlain(i);
      } else {
        await runPlain(i);
        await runOurs(i);
      }
    }
    const oursMedian = median(oursMs);
    const baselineMedian = median(baselineMs);
    return [
      figure({
        name: 'migrations.up.200',
        label: `\`migrate up\` of ${count} migrations from empty (median)`,
        value: oursMedian,
        unit: 'ms',
        baseline: { label: 'typeorm migration:run, same files', value: baselineMedian },
        goal: { text: 'overhead < 10% (ratio < 1.10)', ratioBelow: 1.1 },
        details: {
          runs_ms: oursMs.map((n) => round(n, 0)),
          baseline_runs_ms: baselineMs.map((n) => round(n, 0)),
          per_migration_ms: round(oursMedian / count),
          baseline_per_migration_ms: round(baselineMedian / count),
        },
      }),
    ];
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Both tools must really have applied every migration: count the tables. */
async function checkApplied(url: string, count: number): Promise<void> {
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    const { rows } = await c.query<{ n: string }>(`SELECT count(*) AS n FROM pg_tables WHERE tablename LIKE 'bench_table_%'`);
    if (Number(rows[0]!.n) !== count) throw new Error(`expected ${count} tables after the run, found ${rows[0]!.n}`);
  } finally {
    await c.end();
  }
}

/** CHECKPOINT on the benchmark server (superuser): the timed run that follows starts with no dirty WAL to flush. */
async function checkpoint(ctx: BenchContext): Promise<void> {
  const client = new Client({ connectionString: ctx.adminUrl });
  await client.connect();
  try {
    await client.query('CHECKPOINT');
  } finally {
    await client.end();
  }
}
