import { expectFastFailures, openSessions, outageSummary, readyRequest, runOutage, sessionTraffic } from './support/outage';
import { databaseAnswers, startOwnPostgres, type OwnPostgres } from './support/own-postgres';
import { createSigningKey, productionEnv, startServiceProcess, type ServiceProcess, type SigningKey } from './support/service-process';
import { report } from './support/traffic';

/*
 * The database goes away under load and comes back. The service must answer 503 quickly while it
 * is gone (never hang past its configured timeouts, never 500), report it on /ready, and recover
 * on its own once the database is back, without a restart.
 */

const CONNECT_TIMEOUT_MS = 1000;
const QUERY_TIMEOUT_MS = 2000;
/**
 * The longest a request may take while the database is unreachable: waiting for a connection
 * (connect timeout), one statement timing out (query timeout), then the ROLLBACK of its
 * transaction timing out too, plus 2 s of slack for a busy 2-core CI machine.
 */
const HANG_LIMIT_MS = CONNECT_TIMEOUT_MS + 2 * QUERY_TIMEOUT_MS + 2000;
const CLIENT_TIMEOUT_MS = HANG_LIMIT_MS + 5000;

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
      extra: { DB_CONNECT_TIMEOUT_MS: String(CONNECT_TIMEOUT_MS), DB_QUERY_TIMEOUT_MS: String(QUERY_TIMEOUT_MS), DB_POOL_MAX: '5', LOG_LEVEL: 'error' },
    }),
  });
});

afterAll(async () => {
  await service?.stop();
  await pg?.destroy();
  await key?.remove();
});

/** Workers 1-2 ask /ready, workers 3-6 are logged-in users refreshing and calling /me. */
async function mixedTraffic() {
  const users = sessionTraffic(service.url, await openSessions(service.url, 4), CLIENT_TIMEOUT_MS);
  return { users, ready: readyRequest(service.url, CLIENT_TIMEOUT_MS) };
}

test('a stopped PostgreSQL gives fast 503s, /ready follows it, and the service recovers without a restart', async () => {
  const { users, ready } = await mixedTraffic();
  const run = await runOutage({
    serviceUrl: service.url,
    breakIt: () => pg.stop(),
    repair: () => pg.start(),
    outageMs: 4000,
    clientTimeoutMs: CLIENT_TIMEOUT_MS,
    send: (w, i) => (w <= 2 ? ready() : users.send(w, i)),
    concurrency: 7,
  });
  const sessionsAfter = await users.finalCheck();
  if (sessionsAfter.some((st) => st !== 200)) report('lost sessions', { sessions: await users.diagnose(pg.url, sessionsAfter) });
  report('database restart', { ...outageSummary(run), hang_limit_ms: HANG_LIMIT_MS, sessions_refresh_after: sessionsAfter });

  expectFastFailures([...run.samples, ...run.after], HANG_LIMIT_MS, service.errorLog);
  const readyDuring = run.during.filter((s) => s.label === 'ready');
  expect(readyDuring.length).toBeGreaterThan(0);
  expect(readyDuring.filter((s) => s.status !== 503)).toEqual([]);
  expect(run.during.filter((s) => s.label === 'health' && s.status !== 200)).toEqual([]);
  expect(run.after.filter((s) => s.status !== 200)).toEqual([]);
  // No session lost: a refresh that failed during the outage did not burn its token.
  expect(sessionsAfter).toEqual(sessionsAfter.map(() => 200));
  expect(await databaseAnswers(pg.url)).toBe(true);
});

test('a frozen PostgreSQL (accepts nothing, answers nothing) gives 503 within the configured timeouts, then recovers', async () => {
  const { users, ready } = await mixedTraffic();
  const run = await runOutage({
    serviceUrl: service.url,
    breakIt: () => pg.freeze(),
    repair: () => pg.thaw(),
    outageMs: 5000,
    clientTimeoutMs: CLIENT_TIMEOUT_MS,
    send: (w, i) => (w <= 2 ? ready() : users.send(w, i)),
    concurrency: 7,
  }).finally(() => pg.thaw());
  const sessionsAfter = await users.finalCheck();
  if (sessionsAfter.some((st) => st !== 200)) report('lost sessions', { sessions: await users.diagnose(pg.url, sessionsAfter) });
  report('database frozen (SIGSTOP)', {
    sessions_refresh_after: sessionsAfter,
    ...outageSummary(run),
    configured_timeouts_ms: { connect: CONNECT_TIMEOUT_MS, query: QUERY_TIMEOUT_MS },
    hang_limit_ms: HANG_LIMIT_MS,
    whole_run_max_ms: Math.round(Math.max(...run.samples.map((s) => s.ms))),
  });

  expectFastFailures([...run.samples, ...run.after], HANG_LIMIT_MS, service.errorLog);
  const readyDuring = run.during.filter((s) => s.label === 'ready');
  expect(readyDuring.length).toBeGreaterThan(0);
  expect(readyDuring.filter((s) => s.status !== 503)).toEqual([]);
  expect(run.after.filter((s) => s.status !== 200)).toEqual([]);
  // No session lost: a refresh that failed during the outage did not burn its token.
  expect(sessionsAfter).toEqual(sessionsAfter.map(() => 200));
});

/**
 * Used refresh tokens without a child: a rotation half-committed (the token marked used, its child
 * never inserted). Every rotation inserts the child in the same transaction, and this test's
 * traffic never logs out, so there must be none, whatever the sessions' state.
 */
async function halfRotations(url: string): Promise<number> {
  const { Client } = await import('pg');
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ n: string }>(
      `SELECT count(*) AS n FROM auth.refresh_tokens t
        WHERE t.used_at IS NOT NULL AND NOT EXISTS (SELECT 1 FROM auth.refresh_tokens c WHERE c.parent_id = t.id)`,
    );
    return Number(rows[0]!.n);
  } finally {
    await client.end();
  }
}

test('a refresh cut off by a frozen database never half-commits: a small pool, freezes mid-transaction', async () => {
  // Two connections, so the connection a timed-out refresh leaves behind soon serves another request.
  const single = await startServiceProcess({
    env: productionEnv({
      databaseUrl: pg.url,
      key,
      extra: { DB_CONNECT_TIMEOUT_MS: String(CONNECT_TIMEOUT_MS), DB_QUERY_TIMEOUT_MS: String(QUERY_TIMEOUT_MS), DB_POOL_MAX: '2', LOG_LEVEL: 'error' },
    }),
  });
  try {
    const cycles = [];
    for (let cycle = 0; cycle < 3; cycle++) {
      const users = sessionTraffic(single.url, await openSessions(single.url, 6), CLIENT_TIMEOUT_MS);
      // Freeze for longer than the query timeout, so that a statement and its ROLLBACK both time out.
      const run = await runOutage({
        serviceUrl: single.url,
        breakIt: () => pg.freeze(),
        repair: () => pg.thaw(),
        outageMs: QUERY_TIMEOUT_MS * 2 + 500,
        clientTimeoutMs: CLIENT_TIMEOUT_MS,
        send: (w, i) => users.send(w, i),
        concurrency: 7,
      }).finally(() => pg.thaw());
      const statuses = await users.finalCheck();
      const half = await halfRotations(pg.url);
      cycles.push({ cycle, during: outageSummary(run).during_outage, sessions_refresh_after: statuses, half_committed_rotations: half });
      if (statuses.some((s) => s !== 200)) report('lost sessions', { sessions: await users.diagnose(pg.url, statuses) });
    }
    report('refresh cut off by a frozen database', { pool: 2, cycles });
    for (const c of cycles) {
      expect(c.half_committed_rotations).toBe(0);
      expect(c.sessions_refresh_after).toEqual(c.sessions_refresh_after.map(() => 200));
    }
  } finally {
    await single.stop();
  }
});
