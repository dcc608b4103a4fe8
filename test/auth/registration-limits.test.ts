import request from 'supertest';
import { startTestApp, type TestApp } from '../support/app';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { register, uniqueEmail } from './helpers';

const REGISTER = '/api/v1/auth/register';
const LOGIN = '/api/v1/auth/login';
const PASSWORD = 'correct horse battery staple';

let ipCounter = 0;
const newIp = () => `198.51.100.${++ipCounter}`;
const registerFrom = (t: TestApp, email: string, ip: string) =>
  request(t.app).post(REGISTER).set('X-Forwarded-For', ip).send({ email, password: PASSWORD });

describe('registration limits, shared by all instances through PostgreSQL', () => {
  let db: TestDatabase;
  let a: TestApp;
  let b: TestApp;
  // Behind one proxy hop, X-Forwarded-For gives the client address: each test uses its own.
  const env = { TRUST_PROXY: '1', REGISTER_MAX_PER_IP: '3', REGISTER_MAX_GLOBAL: '1000000', REGISTER_WINDOW_SECONDS: '3600' };

  beforeAll(async () => {
    db = await createTestDatabase();
    a = await startTestApp(db.url, env);
    b = await startTestApp(db.url, env);
  });
  afterAll(async () => {
    await a.close();
    await b.close();
    await db.drop();
  });

  it('an address gets 429 with Retry-After after REGISTER_MAX_PER_IP attempts, on any instance, and a 409 counts like a 201', async () => {
    const taken = uniqueEmail('taken');
    await register(a.app, taken);
    const ip = newIp();
    expect((await registerFrom(a, uniqueEmail(), ip)).status).toBe(201);
    expect((await registerFrom(b, taken, ip)).status).toBe(409);
    expect((await registerFrom(a, uniqueEmail(), ip)).status).toBe(201);
    const blocked = await registerFrom(b, uniqueEmail(), ip);
    expect(blocked.status).toBe(429);
    expect(blocked.body.error).toBe('rate_limited');
    const retryAfter = Number(blocked.headers['retry-after']);
    expect(retryAfter).toBeGreaterThan(3500);
    expect(retryAfter).toBeLessThanOrEqual(3600);
    // Another address is not affected.
    expect((await registerFrom(a, uniqueEmail(), newIp())).status).toBe(201);
  });

  it('M8: over the limit, a taken email and a new one get the same answer, so enumeration through 409 is throttled with everything else', async () => {
    const taken = uniqueEmail('taken');
    await register(a.app, taken);
    const ip = newIp();
    for (let i = 0; i < 3; i++) await registerFrom(a, uniqueEmail('filler'), ip);
    const forTaken = await registerFrom(a, taken, ip);
    const forNew = await registerFrom(a, uniqueEmail('new'), ip);
    const comparable = (res: request.Response) => ({ status: res.status, error: res.body.error, title: res.body.title });
    expect(comparable(forTaken)).toEqual({ status: 429, error: 'rate_limited', title: 'Too many requests' });
    expect(comparable(forNew)).toEqual(comparable(forTaken));
    // Under the limit the answer is deliberately 409 email_taken (docs/api.md, "Registration and account enumeration").
    const open = await registerFrom(a, taken, newIp());
    expect(open.status).toBe(409);
    expect(open.body.error).toBe('email_taken');
  });

  it('M3: over the global threshold registration stays open, one per address, across instances, and the surge is counted', async () => {
    const capped = [await startTestApp(db.url, { ...env, REGISTER_MAX_GLOBAL: '4' }), await startTestApp(db.url, { ...env, REGISTER_MAX_GLOBAL: '4' })];
    try {
      await a.dataSource.query(`DELETE FROM auth.rate_limits WHERE key LIKE 'register_all:%'`);
      const twice = newIp();
      const statuses: number[] = [];
      // Under the threshold an address may register more than once.
      statuses.push((await registerFrom(capped[0]!, uniqueEmail('global'), twice)).status);
      statuses.push((await registerFrom(capped[1]!, uniqueEmail('global'), twice)).status);
      for (let i = 0; i < 4; i++) statuses.push((await registerFrom(capped[i % 2]!, uniqueEmail('global'), newIp())).status);
      expect(statuses).toEqual([201, 201, 201, 201, 201, 201]);
      // Over it (6 > 4): a fresh address still gets its first registration; a second one waits.
      const busy = newIp();
      expect((await registerFrom(capped[0]!, uniqueEmail('global'), busy)).status).toBe(201);
      const second = await registerFrom(capped[1]!, uniqueEmail('global'), busy);
      expect(second.status).toBe(429);
      expect(second.body.detail).toMatch(/^Registrations are very busy right now: one per address for the moment; try again in \d+ seconds\.$/);
      const metrics = await request(capped[0]!.app).get('/metrics');
      expect(Number(/^auth_registration_surge_total (\d+)$/m.exec(metrics.text)?.[1])).toBeGreaterThan(0);
    } finally {
      for (const t of capped) await t.close();
      await a.dataSource.query(`DELETE FROM auth.rate_limits WHERE key LIKE 'register_all:%'`);
    }
  });

  it('an address over its own limit does not use up the global budget', async () => {
    const capped = await startTestApp(db.url, { ...env, REGISTER_MAX_GLOBAL: '5' });
    try {
      await a.dataSource.query(`DELETE FROM auth.rate_limits WHERE key LIKE 'register_all:%'`);
      const noisy = newIp();
      const noisyStatuses: number[] = [];
      for (let i = 0; i < 10; i++) noisyStatuses.push((await registerFrom(capped, uniqueEmail('noisy'), noisy)).status);
      expect(noisyStatuses).toEqual([201, 201, 201, ...Array(7).fill(429)]);
      expect((await registerFrom(capped, uniqueEmail('quiet'), newIp())).status).toBe(201);
    } finally {
      await capped.close();
      await a.dataSource.query(`DELETE FROM auth.rate_limits WHERE key LIKE 'register_all:%'`);
    }
  });
});

describe('registration bcrypt work is bounded: the excess is refused at once, never queued in front of logins', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(() => db.drop());

  it('beyond REGISTER_MAX_HASHES_IN_FLIGHT, registrations get 503 server_busy with Retry-After, answered before the admitted hash finishes', async () => {
    // Cost 12 (~250 ms a hash) makes "answered while the first hash still runs" unambiguous.
    const t = await startTestApp(db.url, { BCRYPT_COST: '12', REGISTER_MAX_HASHES_IN_FLIGHT: '1' });
    try {
      const answers = await Promise.all(
        Array.from({ length: 8 }, async () => {
          const res = await request(t.app).post(REGISTER).send({ email: uniqueEmail('burst'), password: PASSWORD });
          return { res, at: process.hrtime.bigint() };
        }),
      );
      const created = answers.filter((x) => x.res.status === 201);
      const busy = answers.filter((x) => x.res.status === 503);
      expect(created.length + busy.length).toBe(8);
      expect(created.length).toBeGreaterThanOrEqual(1);
      expect(busy.length).toBeGreaterThanOrEqual(1);
      for (const { res } of busy) {
        expect(res.body.error).toBe('server_busy');
        expect(res.headers['retry-after']).toBe('1');
      }
      // The mechanism: a refused registration did not wait for a bcrypt thread. Each 503 came back
      // before the first admitted registration (whose hash held the only slot) was answered.
      const firstCreated = created.map((x) => x.at).reduce((m, at) => (at < m ? at : m));
      for (const { at } of busy) expect(at < firstCreated).toBe(true);
      // Nothing was written for the refused ones.
      const [{ users }] = await t.dataSource.query(`SELECT count(*)::int AS users FROM auth.users WHERE email LIKE 'burst-%'`);
      expect(users).toBe(created.length);
    } finally {
      await t.close();
    }
  });

  it('beyond LOGIN_MAX_CHECKS_IN_FLIGHT, logins get 503 server_busy at once, and a refused login is not counted as a failure', async () => {
    const t = await startTestApp(db.url, { BCRYPT_COST: '12', LOGIN_MAX_CHECKS_IN_FLIGHT: '1', LOGIN_MAX_FAILURES_PER_ACCOUNT: '3' });
    try {
      const email = uniqueEmail('busy');
      await register(t.app, email);
      const answers = await Promise.all(
        Array.from({ length: 6 }, async () => {
          const res = await request(t.app).post(LOGIN).send({ email, password: 'wrong password here' });
          return { res, at: process.hrtime.bigint() };
        }),
      );
      const checked = answers.filter((x) => x.res.status === 401);
      const busy = answers.filter((x) => x.res.status === 503);
      expect(checked.length + busy.length).toBe(6);
      expect(checked.length).toBeGreaterThanOrEqual(1);
      expect(busy.length).toBeGreaterThanOrEqual(1);
      for (const { res } of busy) expect({ error: res.body.error, retryAfter: res.headers['retry-after'] }).toEqual({ error: 'server_busy', retryAfter: '1' });
      const firstChecked = checked.map((x) => x.at).reduce((m, at) => (at < m ? at : m));
      for (const { at } of busy) expect(at < firstChecked).toBe(true);
      // Only the checked ones counted: with 3 allowed failures, the right password still gets in if fewer than 3 were checked.
      const right = await request(t.app).post(LOGIN).send({ email, password: PASSWORD });
      expect(right.status).toBe(checked.length < 3 ? 200 : 429);
    } finally {
      await t.close();
    }
  });

  it('a taken email is answered without any bcrypt work, so a flood of them cannot use the hash budget', async () => {
    const t = await startTestApp(db.url, { BCRYPT_COST: '12', REGISTER_MAX_HASHES_IN_FLIGHT: '1' });
    try {
      const taken = uniqueEmail('taken');
      await register(t.app, taken);
      const answers = await Promise.all(
        Array.from({ length: 20 }, () => request(t.app).post(REGISTER).send({ email: taken, password: PASSWORD })),
      );
      // With one hash slot, any hashing here would have turned most of these into 503s.
      expect(answers.map((r) => r.status)).toEqual(Array(20).fill(409));
    } finally {
      await t.close();
    }
  });

  it('a login during a flood of registrations is admitted at once and succeeds (latencies printed, idle vs flood)', async () => {
    const t = await startTestApp(db.url, { BCRYPT_COST: '12', REGISTER_MAX_HASHES_IN_FLIGHT: '2' });
    try {
      const email = uniqueEmail('owner');
      await register(t.app, email);
      const timedLogin = async () => {
        const started = process.hrtime.bigint();
        const res = await request(t.app).post(LOGIN).send({ email, password: PASSWORD });
        return { status: res.status, ms: Number(process.hrtime.bigint() - started) / 1e6 };
      };
      // Three logins at once, idle and then during the flood, so the two figures compare like with like.
      const idle = (await Promise.all([timedLogin(), timedLogin(), timedLogin()])).map((d) => d.ms);

      // 40 registrations at once (new emails, so each would need a hash), with logins in the middle.
      const flood = Promise.all(
        Array.from({ length: 40 }, () => request(t.app).post(REGISTER).send({ email: uniqueEmail('flood'), password: PASSWORD })),
      );
      const during = await Promise.all([timedLogin(), timedLogin(), timedLogin()]);
      const floodStatuses = (await flood).map((r) => r.status);

      const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;
      process.stdout.write(
        `login latency, bcrypt 12, three at once: idle median ${median(idle).toFixed(0)} ms, max ${Math.max(...idle).toFixed(0)} ms; during a flood of 40 registrations median ${median(during.map((d) => d.ms)).toFixed(0)} ms, max ${Math.max(
          ...during.map((d) => d.ms),
        ).toFixed(0)} ms (${floodStatuses.filter((s) => s === 201).length} registered, ${floodStatuses.filter((s) => s === 503).length} refused with 503)\n`,
      );
      expect(during.map((d) => d.status)).toEqual([200, 200, 200]);
      expect(new Set(floodStatuses)).toEqual(new Set([201, 503]));
    } finally {
      await t.close();
    }
  });
});
