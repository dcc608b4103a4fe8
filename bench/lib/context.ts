import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { parseConfig } from '../../src/config/config';
import { startEmbeddedPostgres } from '../../src/db/embedded-postgres';
import { MigrationDataSource } from '../../src/db/migration-data-source';
import { findFreePort } from '../../test/support/ports';
import { createSigningKey, productionEnv, startServiceProcess, type ServiceProcess, type SigningKey } from '../../test/reliability/support/service-process';

/** What every benchmark gets: one PostgreSQL for the run, a signing key, and the run's settings. */
export interface BenchContext {
  /** Maintenance URL of the benchmark server, for CREATE/DROP DATABASE. */
  readonly adminUrl: string;
  /** A database migrated to head, for the service benchmarks. */
  readonly serviceDbUrl: string;
  /** Data directory of the benchmark server (its postmaster.pid names the process tree to time). */
  readonly postgresDataDir: string;
  readonly key: SigningKey;
  readonly quick: boolean;
  /** Scales a duration for --quick runs. */
  seconds(full: number): number;
  /**
   * Starts bench/server.ts (the service plus the /bench baseline routes) as its own process, or
   * what `entry` names (node's arguments after its options, e.g. `['dist/src/main.js']`).
   */
  startService(opts: { databaseUrl: string; bcryptCost: number; extra?: Record<string, string>; entry?: string[] }): Promise<ServiceProcess>;
  /** A fresh empty database on the benchmark server. */
  createDatabase(name: string): Promise<string>;
  dropDatabase(name: string): Promise<void>;
  close(): Promise<void>;
}

/**
 * The PostgreSQL settings of the run: the server's defaults (fsync and synchronous_commit on, as
 * in production), with room for the connections of two service pools and PgBouncer.
 */
export const POSTGRES_SETTINGS = { max_connections: 200, shared_buffers: '128MB' };

/**
 * Settings of every benchmarked service beside the production defaults: the benchmarks set up
 * their users through POST /register from one address, faster than the registration limits
 * (issue 9 H1) let anyone do; nothing measured registers. Their logins come from one address
 * too, 16 at a time: the per-network share of password checks (issue 22, 8 by default) would
 * answer part of them 503 server_busy (14% of the scale bench's logins), so it is lifted; the
 * bound on all checks in flight stays.
 */
export const BENCH_SERVICE_ENV = {
  REGISTER_MAX_PER_IP: '1000000',
  REGISTER_MAX_GLOBAL: '100000000',
  REGISTER_MAX_HASHES_IN_FLIGHT: '16',
  LOGIN_MAX_CHECKS_PER_PREFIX: '10000',
};

export async function createBenchContext(quick: boolean): Promise<BenchContext> {
  const root = await mkdtemp(path.join(tmpdir(), 'cathouse-bench-'));
  const server = await startEmbeddedPostgres({
    dataDir: path.join(root, 'pg'),
    port: await findFreePort(),
    database: 'cathouse_bench',
    persistent: false,
    settings: POSTGRES_SETTINGS,
  });
  const migrations = new MigrationDataSource(parseConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent', MIGRATION_CREATE_ROLES: 'true' }), server.url, {
    onEvent: () => undefined,
  });
  await migrations.initialize();
  try {
    await migrations.runMigrations();
  } finally {
    await migrations.destroy();
  }
  const key = await createSigningKey();
  const admin = async (sql: string) => {
    const c = new Client({ connectionString: server.adminUrl });
    await c.connect();
    try {
      await c.query(sql);
    } finally {
      await c.end();
    }
  };
  const withDb = (name: string) => {
    const u = new URL(server.adminUrl);
    u.pathname = `/${name}`;
    return u.toString();
  };
  return {
    adminUrl: server.adminUrl,
    serviceDbUrl: server.url,
    postgresDataDir: path.join(root, 'pg'),
    key,
    quick,
    seconds: (full) => (quick ? Math.max(2, Math.round(full / 4)) : full),
    startService: ({ databaseUrl, bcryptCost, extra, entry }) =>
      startServiceProcess({
        script: 'bench/server.ts',
        entry,
        // BENCH_CPU_PROF=DIR: each service process writes a V8 CPU profile there when it stops.
        nodeArgs: process.env.BENCH_CPU_PROF ? ['--cpu-prof', '--cpu-prof-dir', path.resolve(process.env.BENCH_CPU_PROF)] : [],
        env: productionEnv({ databaseUrl, key, bcryptCost, extra: { LOG_LEVEL: 'silent', ...BENCH_SERVICE_ENV, ...extra } }),
        startTimeoutMs: 60_000,
      }),
    createDatabase: async (name) => {
      await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin(`CREATE DATABASE ${name}`);
      return withDb(name);
    },
    dropDatabase: (name) => admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
    close: async () => {
      await server.stop();
      await key.remove();
      await rm(root, { recursive: true, force: true });
    },
  };
}

/** POST JSON to the service; throws with the answer when the status is not the expected one. */
export async function postJson<T = Record<string, unknown>>(url: string, body: unknown, expected: number): Promise<T> {
  const r = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(30_000),
  });
  const text = await r.text();
  if (r.status !== expected) throw new Error(`POST ${new URL(url).pathname} answered ${r.status} (expected ${expected}): ${text.slice(0, 300)}`);
  return JSON.parse(text) as T;
}

/** Runs `fn` over `items` with at most `limit` at once. */
export async function inBatches<T, R>(items: readonly T[], limit: number, fn: (item: T, i: number) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i]!, i);
      }
    }),
  );
  return out;
}
