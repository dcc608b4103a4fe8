import { randomBytes } from 'node:crypto';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { startPgBouncer, type PgBouncer } from '../support/pgbouncer';
import { auth, tokensOf, type Answer } from './support/auth-http';
import { createSigningKey, productionEnv, startServiceProcess, type ServiceProcess, type SigningKey } from './support/service-process';
import { percentile, report } from './support/traffic';

/*
 * Three instances of the service on one database behind PgBouncer (transaction mode) and nothing
 * else, as a deploy runs them. Every virtual user sends each request to the next instance, so a
 * session is created on one, refreshed on another and ended on a third.
 */

const INSTANCES = 3;
const USERS = 12;
const DURATION_MS = 15_000;
const MAX_FAILURES_PER_ACCOUNT = 5;

let db: TestDatabase;
let bouncer: PgBouncer;
let key: SigningKey;
let services: ServiceProcess[] = [];

beforeAll(async () => {
  db = await createTestDatabase();
  bouncer = await startPgBouncer(db.url, { poolSize: 10 });
  key = await createSigningKey();
  services = await Promise.all(
    Array.from({ length: INSTANCES }, () =>
      startServiceProcess({
        env: productionEnv({
          databaseUrl: bouncer.url,
          key,
          extra: {
            DB_POOL_MAX: '5',
            LOGIN_MAX_FAILURES_PER_ACCOUNT: String(MAX_FAILURES_PER_ACCOUNT),
            // Every client here is 127.0.0.1: the per-address limit is exercised by the unit tests.
            LOGIN_MAX_FAILURES_PER_IP: '100000',
          },
        }),
      }),
    ),
  );
});

afterAll(async () => {
  await Promise.all(services.map((s) => s.stop()));
  await bouncer?.stop();
  await db?.drop();
  await key?.remove();
});

interface Step {
  what: string;
  status: number;
  ms: number;
}

test('mixed traffic across three instances: no 5xx and no session lost', async () => {
  const steps: Step[] = [];
  const violations: string[] = [];
  let instance = 0;
  const next = () => services[instance++ % INSTANCES]!.url;
  const step = async (what: string, expected: number, call: () => Promise<Answer>): Promise<Answer> => {
    const started = performance.now();
    let answer: Answer;
    try {
      answer = await call();
    } catch (err) {
      answer = { status: 0, json: undefined, body: String((err as Error).message), headers: new Headers() };
    }
    steps.push({ what, status: answer.status, ms: performance.now() - started });
    if (answer.status !== expected && violations.length < 20) {
      violations.push(`${what}: expected ${expected}, got ${answer.status} ${answer.body.slice(0, 200)}`);
    }
    return answer;
  };

  const t0 = performance.now();
  let cycles = 0;
  const user = async (u: number) => {
    const email = `multi-${u}-${randomBytes(4).toString('hex')}@example.com`;
    const password = `pass-${randomBytes(8).toString('hex')}`;
    const registered = await step('register', 201, () => auth.register(next(), email, password));
    if (registered.status !== 201) return;
    for (let cycle = 0; cycle < 500 && performance.now() - t0 < DURATION_MS; cycle++) {
      const login = await step('login', 200, () => auth.login(next(), email, password));
      if (login.status !== 200) return;
      let tokens = tokensOf(login);
      await step('me', 200, () => auth.me(next(), tokens.access_token));
      for (let r = 0; r < 3; r++) {
        const refreshed = await step('refresh', 200, () => auth.refresh(next(), tokens.refresh_token));
        if (refreshed.status !== 200) return;
        tokens = tokensOf(refreshed);
        await step('me', 200, () => auth.me(next(), tokens.access_token));
      }
      // Alternate the two ways to end a session.
      if (cycle % 2 === 0) await step('logout', 204, () => auth.logout(next(), tokens.access_token));
      else await step('logout', 204, () => auth.logoutWithRefresh(next(), tokens.refresh_token));
      const after = await step('refresh after logout', 400, () => auth.refresh(next(), tokens.refresh_token));
      if (after.json?.error !== 'invalid_grant' && violations.length < 20) violations.push(`refresh after logout answered ${after.body.slice(0, 200)}`);
      await step('me after logout', 401, () => auth.me(next(), tokens.access_token));
      cycles++;
    }
  };
  await Promise.all(Array.from({ length: USERS }, (_, u) => user(u)));

  const byWhat: Record<string, Record<number, number>> = {};
  for (const s of steps) (byWhat[s.what] ??= {})[s.status] = (byWhat[s.what]![s.status] ?? 0) + 1;
  report('three instances, mixed traffic', {
    instances: INSTANCES,
    users: USERS,
    seconds: Math.round((performance.now() - t0) / 1000),
    requests: steps.length,
    session_cycles: cycles,
    statuses: byWhat,
    p50_ms: Math.round(percentile(steps.map((s) => s.ms), 50)),
    p99_ms: Math.round(percentile(steps.map((s) => s.ms), 99)),
    violations: violations.length,
  });

  expect(steps.filter((s) => s.status >= 500 || s.status === 0)).toEqual([]);
  expect(violations).toEqual([]);
  expect(cycles).toBeGreaterThan(USERS);
});

test('failed-login throttling is counted across instances: a burst spread over three instances lets exactly the limit through', async () => {
  const email = `throttled-${randomBytes(4).toString('hex')}@example.com`;
  const password = `pass-${randomBytes(8).toString('hex')}`;
  expect((await auth.register(services[0]!.url, email, password)).status).toBe(201);

  const attempts = 24;
  const answers = await Promise.all(
    Array.from({ length: attempts }, (_, i) => auth.login(services[i % INSTANCES]!.url, email, `wrong-${i}-password`)),
  );
  const count = (status: number) => answers.filter((a) => a.status === status).length;
  // Throttled now on every instance, for the right password too.
  const afterwards = await Promise.all(services.map((s) => auth.login(s.url, email, password)));

  report('throttling across instances', {
    wrong_passwords_sent: attempts,
    answered_401: count(401),
    answered_429: count(429),
    limit_per_account: MAX_FAILURES_PER_ACCOUNT,
    right_password_afterwards: afterwards.map((a) => a.status),
    retry_after: afterwards.map((a) => a.headers.get('retry-after')),
  });

  expect(count(401)).toBe(MAX_FAILURES_PER_ACCOUNT);
  expect(count(429)).toBe(attempts - MAX_FAILURES_PER_ACCOUNT);
  for (const a of answers.filter((x) => x.status === 429)) expect(a.json).toMatchObject({ error: 'rate_limited' });
  for (const a of afterwards) {
    expect(a.status).toBe(429);
    expect(Number(a.headers.get('retry-after'))).toBeGreaterThan(0);
  }
});
