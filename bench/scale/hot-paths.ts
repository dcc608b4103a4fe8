import { createHash, randomBytes } from 'node:crypto';
import { Client } from 'pg';
import type { ServiceProcess } from '../../test/reliability/support/service-process';
import { inBatches, postJson, type BenchContext } from '../lib/context';
import { load, type LoadRequest, type LoadResult } from '../lib/load';
import { processMemory, startDatabaseCost } from '../lib/probes';
import { refreshRequest } from '../refresh';
import { NAMES, SEEDED_PASSWORD } from './shape';

/** One database the hot paths run against: the seeded one, or the empty one beside it. */
export interface Target {
  readonly name: 'empty' | 'seeded';
  readonly url: string;
  /** Users to log in as (seeded players, or users registered on the empty database). */
  readonly players: string[];
  readonly admin: string;
  /** An active installation and the email of its user. */
  readonly installation: { id: string; email: string };
}

export const HOT_PATH_SETTINGS = {
  concurrency: 16,
  duration_s: 10,
  warmup_s: 2,
  db_pool_max: 10,
  bcrypt_cost: 4,
  sessions_for_refresh: 64,
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

/**
 * Runs one path against one target's service: builds what the requests need (logins, tokens),
 * then `duration_s` seconds of load at `concurrency` after a warm-up, measuring the database's
 * WAL and CPU and the service's CPU over the counted part.
 */
export async function measurePath(
  ctx: BenchContext,
  path: PathName,
  target: Target,
  service: ServiceProcess,
  exchangeSecret: string,
  durationS: number,
): Promise<PathResult> {
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
      let n = 0;
      request = {
        method: 'GET',
        path: '/api/v1/auth/users',
        headers: bearer(access_token),
        setupRequest: (req) => ({
          ...req,
          path: path === 'admin_search' ? `/api/v1/auth/users?email=${NAMES[n++ % NAMES.length]}&limit=50` : `/api/v1/auth/events?limit=50`,
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
  const result = await load({
    url: service.url,
    connections: s.concurrency,
    durationS,
    warmupS: s.warmup_s,
    request,
    measure: () => startDatabaseCost(ctx.adminUrl, ctx.postgresDataDir, service.child.pid),
  });
  const per = (key: string) => (result.ok ? (result.measured?.[key] ?? NaN) / result.ok : NaN);
  return {
    load: result,
    wal_bytes_per_request: per('wal_bytes'),
    postgres_cpu_ms_per_request: per('postgres_cpu_ms'),
    service_cpu_ms_per_request: per('service_cpu_ms'),
    peak_rss_mib: processMemory(service.child.pid!).peak_rss_mib,
  };
}
