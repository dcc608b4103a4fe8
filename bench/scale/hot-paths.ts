import { createHash, randomBytes } from 'node:crypto';
import { Client } from 'pg';
import type { ServiceProcess } from '../../test/reliability/support/service-process';
import { inBatches, postJson, type BenchContext } from '../lib/context';
import { load, type LoadRequest, type LoadResult } from '../lib/load';
import { processMemory, startDatabaseCost } from '../lib/probes';
import { refreshRequest } from '../refresh';
import { SEEDED_PASSWORD } from './shape';

/** One database the hot paths run against: the seeded one, or the empty one beside it. */
export interface Target {
  readonly name: 'empty' | 'seeded';
  readonly url: string;
  /** Users to log in as (seeded players, or users registered on the empty database). */
  readonly players: string[];
  readonly admin: string;
  /** An active installation and the email of its user. */
  readonly installation: { id: string; email: string };
  /**
   * What the admin search looks for: prefixes that each match more than a page (limit 50) on this
   * database, so that seeded and empty serve the same page and differ only in the table's size.
   */
  readonly searchPrefixes: readonly string[];
}

export const HOT_PATH_SETTINGS = {
  concurrency: 16,
  duration_s: 10,
  warmup_s: 2,
  db_pool_max: 10,
  bcrypt_cost: 4,
  sessions_for_refresh: 64,
  rounds: 2,
  order: 'per path, both services started afresh, then runs alternating empty, seeded, seeded, empty (rounds = 2); p50/p99/req/s are the means of the runs',
  service_restart: 'both services are started afresh for each path, so no background pruning falls inside a measurement',
};

export type PathName = 'login' | 'refresh' | 'me' | 'me_sessions' | 'me_events' | 'admin_search' | 'admin_events' | 'exchange' | 'register';
export const PATHS: readonly PathName[] = ['login', 'refresh', 'me', 'me_sessions', 'me_events', 'admin_search', 'admin_events', 'exchange', 'register'];

export const PATH_LABELS: Record<PathName, string> = {
  login: 'POST /login',
  refresh: 'POST /refresh',
  me: 'GET /me',
  me_sessions: 'GET /me/sessions',
  me_events: 'GET /me/events',
  admin_search: 'GET /users?email=<prefix> (admin search)',
  admin_events: 'GET /events (admin)',
  exchange: 'POST /token (token exchange)',
  register: 'POST /register',
};

export interface PathResult {
  readonly load: LoadResult;
  readonly wal_bytes_per_request: number;
  /** Full-page images per request (probes.ts DatabaseCost.wal_fpi). */
  readonly wal_fpi_per_request: number;
  readonly postgres_cpu_ms_per_request: number;
  readonly service_cpu_ms_per_request: number;
  readonly peak_rss_mib: number;
}

interface TokenResponse {
  access_token: string;
  refresh_token: string;
  user?: { id: string };
}

const EXCHANGE_CLIENT = 'scale-bench-proxy';

/** Writes what token exchange needs on `target`: a service client whose secret the bench knows. */
export async function prepareTarget(target: Target): Promise<string> {
  const secret = `chs_${randomBytes(32).toString('base64url')}`;
  const c = new Client({ connectionString: target.url });
  await c.connect();
  try {
    await c.query(
      `INSERT INTO auth.service_clients (client_id, secret_hash, scopes) VALUES ($1, $2, '{installations:exchange}')
       ON CONFLICT (client_id) DO UPDATE SET secret_hash = EXCLUDED.secret_hash, is_active = true`,
      [EXCHANGE_CLIENT, createHash('sha256').update(secret).digest()],
    );
  } finally {
    await c.end();
  }
  return secret;
}

/** Builds what `path`'s requests need on one target's service (logins, tokens) and returns the request. */
export async function pathRequest(path: PathName, target: Target, service: ServiceProcess, exchangeSecret: string): Promise<LoadRequest> {
  const s = HOT_PATH_SETTINGS;
  const api = `${service.url}/api/v1/auth`;
  let next = 0;
  const nextPlayer = () => target.players[next++ % target.players.length]!;
  const login = (email = nextPlayer()) => postJson<TokenResponse>(`${api}/login`, { email, password: SEEDED_PASSWORD }, 200);
  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

  let request: LoadRequest;
  switch (path) {
    case 'login':
      request = {
        method: 'POST',
        path: '/api/v1/auth/login',
        headers: { 'content-type': 'application/json' },
        setupRequest: (req) => ({ ...req, body: JSON.stringify({ email: nextPlayer(), password: SEEDED_PASSWORD }) }),
      };
      break;
    case 'refresh': {
      const sessions = await inBatches(Array.from({ length: s.sessions_for_refresh }), 4, () => login());
      request = refreshRequest(sessions.map((t) => t.refresh_token));
      break;
    }
    case 'me':
    case 'me_sessions':
    case 'me_events': {
      const { access_token } = await login();
      request = { method: 'GET', path: { me: '/api/v1/auth/me', me_sessions: '/api/v1/auth/me/sessions', me_events: '/api/v1/auth/me/events' }[path], headers: bearer(access_token) };
      break;
    }
    case 'admin_search':
    case 'admin_events': {
      const { access_token } = await login(target.admin);
      if (path === 'admin_search') {
        // Both databases must serve the same page: a search that finds nothing is not the same work.
        for (const prefix of target.searchPrefixes) {
          const r = await fetch(`${service.url}/api/v1/auth/users?email=${prefix}&limit=50`, { headers: bearer(access_token), signal: AbortSignal.timeout(30_000) });
          const page = (await r.json()) as { users?: unknown[]; next_after?: string | null };
          if (page.users?.length !== 50 || !page.next_after) throw new Error(`admin search for ${prefix} on the ${target.name} database: ${page.users?.length} users, not a full page`);
        }
      }
      let n = 0;
      request = {
        method: 'GET',
        path: '/api/v1/auth/users',
        headers: bearer(access_token),
        setupRequest: (req) => ({
          ...req,
          path: path === 'admin_search' ? `/api/v1/auth/users?email=${target.searchPrefixes[n++ % target.searchPrefixes.length]}&limit=50` : `/api/v1/auth/events?limit=50`,
        }),
      };
      break;
    }
    case 'exchange': {
      const { access_token } = await login(target.installation.email);
      request = {
        method: 'POST',
        path: '/api/v1/auth/token',
        headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${EXCHANGE_CLIENT}:${exchangeSecret}`).toString('base64')}` },
        body: new URLSearchParams({
          grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
          subject_token: access_token,
          subject_token_type: 'urn:ietf:params:oauth:token-type:access_token',
          installation_id: target.installation.id,
        }).toString(),
      };
      break;
    }
    case 'register': {
      const run = `${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
      let n = 0;
      request = {
        method: 'POST',
        path: '/api/v1/auth/register',
        headers: { 'content-type': 'application/json' },
        setupRequest: (req) => ({ ...req, body: JSON.stringify({ email: `new.${run}.${n++}@join.example`, password: SEEDED_PASSWORD }) }),
      };
      break;
    }
  }
  return request;
}

/**
 * One counted run of `request` against `service`: `durationS` seconds at `concurrency` (after a
 * warm-up when `warmupS` is given), measuring the database's WAL and CPU and the service's CPU
 * over the counted part.
 */
export function measureRun(ctx: BenchContext, service: ServiceProcess, request: LoadRequest, durationS: number, warmupS = 0): Promise<LoadResult> {
  return load({
    url: service.url,
    connections: HOT_PATH_SETTINGS.concurrency,
    durationS,
    warmupS,
    request,
    measure: () => startDatabaseCost(ctx.adminUrl, ctx.postgresDataDir, service.child.pid),
  });
}

/** Several runs of one path on one target as one result: mean rate and latencies, costs per request over all of them. */
export function pathResult(runs: LoadResult[], service: ServiceProcess): PathResult {
  const mean = (f: (r: LoadResult) => number) => runs.reduce((a, r) => a + f(r), 0) / runs.length;
  const sum = (f: (r: LoadResult) => number) => runs.reduce((a, r) => a + f(r), 0);
  const ok = sum((r) => r.ok);
  const per = (key: string) => (ok ? sum((r) => r.measured?.[key] ?? NaN) / ok : NaN);
  const codes: Record<string, number> = {};
  for (const r of runs) for (const [k, v] of Object.entries(r.status_codes)) codes[k] = (codes[k] ?? 0) + v;
  return {
    load: {
      rps: mean((r) => r.rps),
      p50_ms: mean((r) => r.p50_ms),
      p99_ms: mean((r) => r.p99_ms),
      max_ms: Math.max(...runs.map((r) => r.max_ms)),
      ok,
      non2xx: sum((r) => r.non2xx),
      errors: sum((r) => r.errors),
      status_codes: codes,
      duration_s: sum((r) => r.duration_s),
    },
    wal_bytes_per_request: per('wal_bytes'),
    wal_fpi_per_request: per('wal_fpi'),
    postgres_cpu_ms_per_request: per('postgres_cpu_ms'),
    service_cpu_ms_per_request: per('service_cpu_ms'),
    peak_rss_mib: processMemory(service.child.pid!).peak_rss_mib,
  };
}
