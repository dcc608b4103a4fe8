import { createTestDatabase, type TestDatabase } from '../support/database';
import { expectFastFailures, openSessions, outageSummary, readyRequest, runOutage, sessionTraffic } from './support/outage';
import { startPgBouncer, type PgBouncer } from '../support/pgbouncer';
import { createSigningKey, productionEnv, startServiceProcess, type ServiceProcess, type SigningKey } from './support/service-process';
import { report } from './support/traffic';

/*
 * The pooler goes away under load (immediate shutdown: every connection cut) and comes back on
 * the same port. Same promises as for the database: fast 503s, /ready follows, recovery without
 * a restart of the service.
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

let db: TestDatabase;
let bouncer: PgBouncer;
let key: SigningKey;
let service: ServiceProcess;

beforeAll(async () => {
  db = await createTestDatabase();
  bouncer = await startPgBouncer(db.url, { poolSize: 5 });
  key = await createSigningKey();
  service = await startServiceProcess({
    env: productionEnv({
      databaseUrl: bouncer.url,
      key,
      extra: { DB_CONNECT_TIMEOUT_MS: String(CONNECT_TIMEOUT_MS), DB_QUERY_TIMEOUT_MS: String(QUERY_TIMEOUT_MS), DB_POOL_MAX: '5', LOG_LEVEL: 'error' },
    }),
  });
});

afterAll(async () => {
  await service?.stop();
  await bouncer?.stop();
  await db?.drop();
  await key?.remove();
});

/** Workers 1-2 ask /ready, workers 3-6 are logged-in users refreshing and calling /me. */
async function mixedTraffic() {
  const users = sessionTraffic(service.url, await openSessions(service.url, 4), CLIENT_TIMEOUT_MS);
  return { users, ready: readyRequest(service.url, CLIENT_TIMEOUT_MS) };
}

test('a PgBouncer restart gives fast 503s, /ready follows it, and the service recovers without a restart', async () => {
  const { users, ready } = await mixedTraffic();
  const run = await runOutage({
    serviceUrl: service.url,
    breakIt: () => bouncer.halt(),
    repair: () => bouncer.start(),
    outageMs: 3000,
    clientTimeoutMs: CLIENT_TIMEOUT_MS,
    send: (w, i) => (w <= 2 ? ready() : users.send(w, i)),
    concurrency: 7,
  });
  const sessionsAfter = await users.finalCheck();
  if (sessionsAfter.some((st) => st !== 200)) report('lost sessions', { sessions: await users.diagnose(db.url, sessionsAfter) });
  report('pgbouncer restart', { ...outageSummary(run), hang_limit_ms: HANG_LIMIT_MS, sessions_refresh_after: sessionsAfter });

  expectFastFailures([...run.samples, ...run.after], HANG_LIMIT_MS, service.errorLog);
  const readyDuring = run.during.filter((s) => s.label === 'ready');
  expect(readyDuring.length).toBeGreaterThan(0);
  expect(readyDuring.filter((s) => s.status !== 503)).toEqual([]);
  expect(run.during.filter((s) => s.label === 'health' && s.status !== 200)).toEqual([]);
  expect(run.after.filter((s) => s.status !== 200)).toEqual([]);
  // No session lost: a refresh that failed during the outage did not burn its token.
  expect(sessionsAfter).toEqual(sessionsAfter.map(() => 200));
});
