import { databaseAnswers, startOwnPostgres, type OwnPostgres } from './support/own-postgres';
import { createSigningKey, productionEnv, sleep, startServiceProcess, type ServiceProcess, type SigningKey } from './support/service-process';
import { percentile, report, runTraffic, tally, timedFetch, type Sample } from './support/traffic';

/*
 * The database goes away under load and comes back. The service must answer 503 quickly while it
 * is gone (never hang past its configured timeouts, never 500), report it on /ready, and recover
 * on its own once the database is back, without a restart.
 */

const CONNECT_TIMEOUT_MS = 1000;
const QUERY_TIMEOUT_MS = 2000;
/** The longest a request may take while the database is down or frozen: both timeouts plus slack for a 2-core CI box. */
const HANG_LIMIT_MS = CONNECT_TIMEOUT_MS + QUERY_TIMEOUT_MS + 2000;

let pg: OwnPostgres;
let key: SigningKey;
let service: ServiceProcess;

beforeAll(async () => {
  pg = await startOwnPostgres();
  key = await createSigningKey();
  service = await startServiceProcess({
    env: productionEnv({
      databaseUrl: pg.url,
      key,
      extra: { DB_CONNECT_TIMEOUT_MS: String(CONNECT_TIMEOUT_MS), DB_QUERY_TIMEOUT_MS: String(QUERY_TIMEOUT_MS), DB_POOL_MAX: '5' },
    }),
  });
});

afterAll(async () => {
  await service?.stop();
  await pg?.destroy();
  await key?.remove();
});

const readyOrHealth = (worker: number) => async () => {
  const label = worker === 0 ? 'health' : 'ready';
  const r = await timedFetch(`${service.url}/api/v1/auth/${label}`, { timeoutMs: HANG_LIMIT_MS + 5000 });
  return { status: r.status, label, body: r.body };
};

/** Polls /ready until it answers `status`, bounded in time; returns how long it took. */
async function waitForReady(status: number, limitMs: number): Promise<number> {
  const started = Date.now();
  for (let i = 0; Date.now() - started < limitMs && i < 1000; i++) {
    const r = await timedFetch(`${service.url}/api/v1/auth/ready`, { timeoutMs: HANG_LIMIT_MS + 5000 }).catch(() => ({ status: 0 }));
    if (r.status === status) return Date.now() - started;
    await sleep(100);
  }
  throw new Error(`/ready did not answer ${status} within ${limitMs} ms`);
}

function assertNoHangNo500(samples: readonly Sample[]) {
  const bad = samples.filter((s) => s.status === 0 || (s.status >= 500 && s.status !== 503));
  expect(bad.slice(0, 5)).toEqual([]);
  const slow = samples.filter((s) => s.ms > HANG_LIMIT_MS);
  expect(slow.slice(0, 5)).toEqual([]);
  for (const s of samples.filter((x) => x.status === 503)) {
    expect(JSON.parse(s.body!)).toMatchObject({ status: 503 });
    expect(s.body).not.toMatch(/\n\s+at /);
  }
}

test('a stopped PostgreSQL gives fast 503s, /ready follows it, and the service recovers without a restart', async () => {
  let stoppedAt = Infinity;
  let startingAt = Infinity;
  const fault = (async () => {
    await sleep(1500);
    await pg.stop();
    stoppedAt = performance.now();
    await sleep(4000);
    startingAt = performance.now();
    await pg.start();
  })();
  const t0 = performance.now();
  const samples = await runTraffic({ concurrency: 4, durationMs: 7000, maxRequests: 20_000, send: (w) => readyOrHealth(w)() });
  await fault;
  const recoveredInMs = await waitForReady(200, 15_000);

  const rel = (t: number) => t - t0;
  const during = samples.filter((s) => s.start > rel(stoppedAt) && s.end < rel(startingAt));
  const readyDuring = during.filter((s) => s.label === 'ready');
  const after = await runTraffic({ concurrency: 4, durationMs: 1500, maxRequests: 5000, send: (w) => readyOrHealth(w)() });

  report('database restart', {
    outage_ms: Math.round(startingAt - stoppedAt),
    during_outage: tally(during),
    during_outage_p99_ms: Math.round(percentile(during.map((s) => s.ms), 99)),
    during_outage_max_ms: Math.round(Math.max(...during.map((s) => s.ms))),
    whole_run: tally(samples),
    ready_again_after_ms: recoveredInMs,
    after_recovery: tally(after),
  });

  assertNoHangNo500([...samples, ...after]);
  expect(readyDuring.length).toBeGreaterThan(0);
  expect(readyDuring.every((s) => s.status === 503)).toBe(true);
  expect(during.filter((s) => s.label === 'health').every((s) => s.status === 200)).toBe(true);
  expect(after.every((s) => s.status === 200)).toBe(true);
  expect(await databaseAnswers(pg.url)).toBe(true);
});

test('a frozen PostgreSQL (accepts nothing, answers nothing) gives 503 within the configured timeouts, then recovers', async () => {
  let frozenAt = Infinity;
  let thawAt = Infinity;
  const fault = (async () => {
    await sleep(1000);
    pg.freeze();
    frozenAt = performance.now();
    await sleep(5000);
    thawAt = performance.now();
    pg.thaw();
  })();
  const t0 = performance.now();
  let samples: Sample[];
  try {
    samples = await runTraffic({ concurrency: 4, durationMs: 7000, maxRequests: 20_000, send: (w) => readyOrHealth(w)() });
  } finally {
    await fault;
    pg.thaw();
  }
  const recoveredInMs = await waitForReady(200, 15_000);
  const after = await runTraffic({ concurrency: 4, durationMs: 1500, maxRequests: 5000, send: (w) => readyOrHealth(w)() });

  const rel = (t: number) => t - t0;
  const during = samples.filter((s) => s.start > rel(frozenAt) && s.end < rel(thawAt));
  report('database frozen (SIGSTOP)', {
    freeze_ms: Math.round(thawAt - frozenAt),
    configured_timeouts_ms: { connect: CONNECT_TIMEOUT_MS, query: QUERY_TIMEOUT_MS, hang_limit: HANG_LIMIT_MS },
    during_freeze: tally(during),
    during_freeze_max_ms: Math.round(Math.max(0, ...during.map((s) => s.ms))),
    whole_run_max_ms: Math.round(Math.max(...samples.map((s) => s.ms))),
    ready_again_after_ms: recoveredInMs,
    after_recovery: tally(after),
  });

  assertNoHangNo500([...samples, ...after]);
  expect(during.filter((s) => s.label === 'ready').length).toBeGreaterThan(0);
  expect(during.filter((s) => s.label === 'ready').every((s) => s.status === 503)).toBe(true);
  expect(after.every((s) => s.status === 200)).toBe(true);
});
