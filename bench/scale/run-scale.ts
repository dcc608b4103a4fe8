import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Client } from 'pg';
import { createPasswordHasher } from '../../src/auth/accounts/passwords';
import { parseConfig } from '../../src/config/config';
import { createRuntimeDataSource } from '../../src/db/runtime-data-source';
import { MigrationDataSource } from '../../src/db/migration-data-source';
import type { ServiceProcess } from '../../test/reliability/support/service-process';
import { createBenchContext, inBatches, postJson, type BenchContext } from '../lib/context';
import { machine } from '../lib/results';
import type { LoadResult } from '../lib/load';
import { HOT_PATH_SETTINGS, measureRun, pathRequest, pathResult, PATHS, prepareTarget, type PathName, type PathResult, type Target } from './hot-paths';
import { checkPlans } from './plans';
import { measurePruning } from './pruning';
import { scaleReport, type ScaleReport } from './report';
import { seedScaleDatabase } from './seed';
import { NAMES, scaleShape, SEEDED_PASSWORD, type ScaleShape } from './shape';
import { tableSizes } from './sizes';

const log = (line: string) => process.stderr.write(`bench --scale: ${line}\n`);

async function migratedDatabase(ctx: BenchContext, name: string): Promise<string> {
  const url = await ctx.createDatabase(name);
  const migrations = new MigrationDataSource(parseConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent', MIGRATION_CREATE_ROLES: 'true' }), url, { onEvent: () => undefined });
  await migrations.initialize();
  try {
    await migrations.runMigrations();
  } finally {
    await migrations.destroy();
  }
  return url;
}

async function sql(url: string, text: string, params: unknown[] = []): Promise<Record<string, unknown>[]> {
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query(text, params)).rows;
  } finally {
    await c.end();
  }
}

const startService = (ctx: BenchContext, url: string) =>
  ctx.startService({ databaseUrl: url, bcryptCost: HOT_PATH_SETTINGS.bcrypt_cost, extra: { DB_POOL_MAX: String(HOT_PATH_SETTINGS.db_pool_max) } });

/** The empty database's counterparts of the seeded users: a few players, an admin, an installation. */
async function emptyTarget(ctx: BenchContext, url: string): Promise<Target> {
  const service = await startService(ctx, url);
  try {
    const register = (email: string) => postJson<{ user: { id: string } }>(`${service.url}/api/v1/auth/register`, { email, password: SEEDED_PASSWORD }, 201);
    const players = Array.from({ length: 64 }, (_, i) => `player.${i}@empty.example`);
    await inBatches(players, 4, (email) => register(email));
    const admin = 'admin@empty.example';
    const { user } = await register(admin);
    await sql(url, `UPDATE auth.users SET role = 'admin' WHERE id = $1`, [user.id]);
    const [cat] = await sql(url, `INSERT INTO catalog.cats (developer_id, name, version, endpoint_url, status) VALUES ($1, 'Cat', '1', 'https://cat.example', 'published') RETURNING id`, [user.id]);
    const owner = (await sql(url, `SELECT id FROM auth.users WHERE email = $1`, [players[0]]))[0]!;
    const [inst] = await sql(url, `INSERT INTO installation.installations (user_id, cat_id, instance_name) VALUES ($1, $2, 'default') RETURNING id`, [owner.id, cat!.id]);
    for (const [type, granted] of [['storage', true], ['notification', true], ['external_api', false]] as const) {
      const [perm] = await sql(url, `INSERT INTO catalog.permissions (cat_id, permission_type) VALUES ($1, $2) RETURNING id`, [cat!.id, type]);
      await sql(url, `INSERT INTO installation.installation_permissions (installation_id, permission_id, granted) VALUES ($1, $2, $3)`, [inst!.id, perm!.id, granted]);
    }
    // Every prefix of 'player.' matches the 64 players: a full page, as each name does on the seeded database.
    const searchPrefixes = Array.from({ length: 'player.'.length }, (_, i) => 'player.'.slice(0, i + 1));
    return { name: 'empty', url, players, admin, installation: { id: String(inst!.id), email: players[0]! }, searchPrefixes };
  } finally {
    await service.stop();
  }
}

/**
 * `npm run bench -- --scale[=F] [--quick]`: seeds a database of the issue's shape (F times it),
 * measures every hot path on it and on an empty database of the same server, path by path, then
 * one pruning cycle of each kind on the seeded one; writes bench/results-scale.md and .json.
 * With `only` (--paths=), those hot paths alone and no pruning, written to
 * bench/results-scale-paths.md and .json, so that a full run's results stay as they are.
 */
export async function runScale(factor: number, quick: boolean, only?: readonly PathName[]): Promise<void> {
  const paths = only ?? PATHS;
  const shape = scaleShape(factor);
  const durationS = quick ? 3 : HOT_PATH_SETTINGS.duration_s;
  const ctx = await createBenchContext(quick);
  try {
    log(`seeding ${JSON.stringify(shape)}`);
    const [emptyUrl, seededUrl] = [await migratedDatabase(ctx, 'scale_empty'), await migratedDatabase(ctx, 'scale_seeded')];
    // The service's own hasher (its pre-hash and bcrypt at the bench's cost): every seeded user shares the one hash.
    const passwordHash = await createPasswordHasher(HOT_PATH_SETTINGS.bcrypt_cost).hash(SEEDED_PASSWORD);
    const started = performance.now();
    const seeded = await seedScaleDatabase(seededUrl, shape, passwordHash, log);
    const seedingS = (performance.now() - started) / 1000;
    const sizes = await tableSizes(seededUrl);
    const plans = await checkPlans(seededUrl);
    const [{ bytes: dbBytes }] = (await sql(seededUrl, `SELECT pg_database_size(current_database())::bigint AS bytes`)) as { bytes: string }[];

    const targets: Target[] = [
      await emptyTarget(ctx, emptyUrl),
      { name: 'seeded', url: seededUrl, players: seeded.players, admin: seeded.admins[0]!, installation: seeded.installation, searchPrefixes: NAMES },
    ];
    const secrets = await Promise.all(targets.map((t) => prepareTarget(t)));
    const results: Record<string, Partial<Record<PathName, PathResult>>> = { empty: {}, seeded: {} };
    for (const p of paths) {
      // Both services started afresh for each path (no background pruning falls inside a
      // measurement), then alternating runs, so that load from elsewhere touches both alike.
      const services: ServiceProcess[] = [];
      try {
        for (const target of targets) services.push(await startService(ctx, target.url));
        const requests = await Promise.all(targets.map((t, i) => pathRequest(p, t, services[i]!, secrets[i]!)));
        const runs: LoadResult[][] = [[], []];
        for (let round = 0; round < HOT_PATH_SETTINGS.rounds; round++) {
          for (const t of round % 2 === 0 ? [0, 1] : [1, 0]) {
            runs[t]!.push(await measureRun(ctx, services[t]!, requests[t]!, durationS, round === 0 ? HOT_PATH_SETTINGS.warmup_s : 0));
          }
        }
        for (const [t, target] of targets.entries()) results[target.name]![p] = pathResult(runs[t]!, services[t]!);
        log(`${p}: p99 ${results.seeded![p]!.load.p99_ms} ms seeded, ${results.empty![p]!.load.p99_ms} ms empty`);
      } finally {
        for (const service of services) await service.stop();
      }
    }

    const pruning = only ? { tasks: [], insert_rate_per_s: NaN } : await pruneSeeded(ctx, seededUrl, shape, seeded.players, durationS);

    const name = only ? 'results-scale-paths' : 'results-scale';
    const report: ScaleReport = {
      generated_at: new Date().toISOString(),
      machine: machine(),
      command: `npm run bench -- --scale${factor === 1 ? '' : `=${factor}`}${quick ? ' --quick' : ''}${only ? ` --paths=${only.join(',')}` : ''}`,
      shape,
      settings: { ...HOT_PATH_SETTINGS, duration_s: durationS },
      seeding: { seconds: Math.round(seedingS), steps: seeded.seconds, rows: seeded.rows, database_mib: Math.round(Number(dbBytes) / 2 ** 20) },
      sizes,
      plans,
      paths: paths.map((p) => ({ path: p, empty: results.empty![p]!, seeded: results.seeded![p]! })),
      pruning: pruning.tasks,
      insert_rate_per_s: pruning.insert_rate_per_s,
      details_file: `bench/${name}.json`,
    };
    const dir = path.join(__dirname, '..');
    await writeFile(path.join(dir, `${name}.json`), JSON.stringify(report, null, 2) + '\n');
    const md = scaleReport(report);
    await writeFile(path.join(dir, `${name}.md`), md);
    process.stdout.write(`\n${md}\nwritten: bench/${name}.md, bench/${name}.json\n`);
  } finally {
    await ctx.close();
  }
}

/** One pruning cycle of each kind on the seeded database, with a service of its own serving the logins measured beside it. */
async function pruneSeeded(ctx: BenchContext, url: string, shape: ScaleShape, players: string[], durationS: number) {
  const service = await startService(ctx, url);
  const dataSource = createRuntimeDataSource(url, parseConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent', DATABASE_URL: url }).db);
  await dataSource.initialize();
  try {
    return await measurePruning({ url, serviceUrl: service.url, dataSource, shape, players, durationS });
  } finally {
    await dataSource.destroy();
    await service.stop();
  }
}
