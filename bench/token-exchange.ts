import { createHash, randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { startPgBouncer } from '../test/support/pgbouncer';
import { postJson, type BenchContext } from './lib/context';
import { load, type LoadRequest, type LoadResult } from './lib/load';
import { figure, type Figure } from './lib/results';

export const EXCHANGE_SETTINGS = {
  concurrency: 32,
  duration_s: 8,
  rounds: 2,
  warmup_s: 2,
  db_pool_max: 10,
  pgbouncer_pool_size: 10,
  pgbouncer_mode: 'transaction',
  request: 'POST /token grant_type=token-exchange, client_secret_basic, one installation with two granted permissions',
};

/**
 * Token exchange (issue 12) at concurrency 32 beside the handler doing one `SELECT 1` through the
 * same pool, directly and through PgBouncer: what the proxy pays per installation token (client
 * authentication with the throttle's read, the subject's session check, the installation query,
 * one ES256 signature).
 */
export async function benchTokenExchange(ctx: BenchContext): Promise<Figure[]> {
  const s = { ...EXCHANGE_SETTINGS, duration_s: ctx.seconds(EXCHANGE_SETTINGS.duration_s) };
  const figures: Figure[] = [];
  const secret = `chs_${randomBytes(32).toString('base64url')}`;
  const setup = new Client({ connectionString: ctx.serviceDbUrl });
  await setup.connect();
  try {
    await setup.query(
      `INSERT INTO auth.service_clients (client_id, secret_hash, scopes) VALUES ('bench-proxy', $1, '{installations:exchange}')
       ON CONFLICT (client_id) DO UPDATE SET secret_hash = EXCLUDED.secret_hash, is_active = true`,
      [createHash('sha256').update(secret).digest()],
    );
  } finally {
    await setup.end();
  }
  const bouncer = await startPgBouncer(ctx.serviceDbUrl, { poolSize: s.pgbouncer_pool_size });
  try {
    for (const [mode, databaseUrl] of [
      ['direct', ctx.serviceDbUrl],
      ['PgBouncer', bouncer.url],
    ] as const) {
      const service = await ctx.startService({ databaseUrl, bcryptCost: 4, extra: { DB_POOL_MAX: String(s.db_pool_max) } });
      try {
        const email = `exchange-bench-${mode}-${Date.now()}@example.com`;
        const user = await postJson<{ access_token: string; user: { id: string } }>(
          `${service.url}/api/v1/auth/register`,
          { email, password: 'correct horse battery staple' },
          201,
        );
        const installationId = await seedInstallation(ctx.serviceDbUrl, user.user.id);
        const body = new URLSearchParams({
          grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
          subject_token: user.access_token,
          subject_token_type: 'urn:ietf:params:oauth:token-type:access_token',
          installation_id: installationId,
        }).toString();
        const exchangeReq: LoadRequest = {
          method: 'POST',
          path: '/api/v1/auth/token',
          headers: {
            'content-type': 'application/x-www-form-urlencoded',
            authorization: `Basic ${Buffer.from(`bench-proxy:${secret}`).toString('base64')}`,
          },
          body,
        };
        const selectReq: LoadRequest = { method: 'GET', path: '/bench/select1' };
        const roundS = Math.max(2, Math.round(s.duration_s / s.rounds));
        const run = (request: LoadRequest, warmupS: number) => load({ url: service.url, connections: s.concurrency, durationS: roundS, warmupS, request });
        const baselines: LoadResult[] = [];
        const exchanges: LoadResult[] = [];
        for (let r = 0; r < s.rounds; r++) {
          // Alternated, so that load from elsewhere touches both alike.
          const w = r === 0 ? s.warmup_s : 0;
          baselines.push(await run(selectReq, w));
          exchanges.push(await run(exchangeReq, w));
        }
        const mean = (runs: LoadResult[], f: (r: LoadResult) => number) => runs.reduce((a, r) => a + f(r), 0) / runs.length;
        const exchange = { rps: mean(exchanges, (r) => r.rps), p50: mean(exchanges, (r) => r.p50_ms), p99: mean(exchanges, (r) => r.p99_ms) };
        const baseline = { rps: mean(baselines, (r) => r.rps), p50: mean(baselines, (r) => r.p50_ms), p99: mean(baselines, (r) => r.p99_ms) };
        const non2xx = exchanges.reduce((a, r) => a + r.non2xx + r.errors, 0);
        const m = mode.toLowerCase();
        figures.push(
          figure({
            name: `exchange.${m}.rps`,
            label: `POST /token token exchange req/s (c=${s.concurrency}, ${mode})`,
            value: exchange.rps,
            unit: 'req/s',
            baseline: { label: `SELECT 1 handler, ${mode}`, value: baseline.rps },
            details: { non2xx_or_errors: non2xx, status_codes: exchanges.map((r) => r.status_codes) },
          }),
          figure({
            name: `exchange.${m}.p99`,
            label: `POST /token token exchange p99 latency (c=${s.concurrency}, ${mode})`,
            value: exchange.p99,
            unit: 'ms',
            baseline: { label: `SELECT 1 handler p99, ${mode}`, value: baseline.p99 },
            details: { p50_ms: exchange.p50, baseline_p50_ms: baseline.p50 },
          }),
        );
      } finally {
        await service.stop();
      }
    }
  } finally {
    await bouncer.stop();
  }
  return figures;
}

/** A published cat and an active installation of it for `userId`, with two of three permissions granted. */
async function seedInstallation(databaseUrl: string, userId: string): Promise<string> {
  const c = new Client({ connectionString: databaseUrl });
  await c.connect();
  try {
    const { rows: [cat] } = await c.query(
      `INSERT INTO catalog.cats (developer_id, name, version, endpoint_url, status) VALUES ($1, 'Bench', '1', 'https://cat.example', 'published') RETURNING id`,
      [userId],
    );
    const { rows: [inst] } = await c.query(
      `INSERT INTO installation.installations (user_id, cat_id, instance_name) VALUES ($1, $2, 'bench') RETURNING id`,
      [userId, cat.id],
    );
    for (const [type, granted] of [['storage', true], ['notification', true], ['external_api', false]] as const) {
      const { rows: [perm] } = await c.query(`INSERT INTO catalog.permissions (cat_id, permission_type) VALUES ($1, $2) RETURNING id`, [cat.id, type]);
      await c.query(`INSERT INTO installation.installation_permissions (installation_id, permission_id, granted) VALUES ($1, $2, $3)`, [inst.id, perm.id, granted]);
    }
    return inst.id;
  } finally {
    await c.end();
  }
}
