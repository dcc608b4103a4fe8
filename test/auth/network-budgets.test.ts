import type { Server } from 'node:http';
import request from 'supertest';
import { createPasswordHasher, type PasswordHasher } from '../../src/auth/accounts/passwords';
import { startTestApp, type TestApp } from '../support/app';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { pollUntil } from '../support/poll';
import { register, uniqueEmail } from './helpers';

const PASSWORD = 'correct horse battery staple';

/** An address in /64 number `i` (0-255) of the /56 2001:db8:<net>::/56 (the /64s differ in the 4th group's low byte). */
const inSlash56 = (net: number, i: number) => `2001:db8:${net.toString(16)}:${i.toString(16)}::1`;

/** Runs `tasks` with at most `width` in flight. */
async function pool<T>(width: number, tasks: (() => Promise<T>)[]): Promise<T[]> {
  const out: T[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < tasks.length) {
        const i = next++;
        out[i] = await tasks[i]!();
      }
    }),
  );
  return out;
}

/**
 * Issue 22 M3: one IPv6 /56 (256 /64s) shut registration for everyone for an hour and kept the
 * password-check gate full. Budgets are now hierarchical (/64, /56, /48), password checks are
 * bounded per prefix, and part of the gate is kept for clients with no recent failure. Clients
 * are chosen with X-Forwarded-For behind TRUST_PROXY=1.
 */
describe('registration budgets by IPv6 network', () => {
  let db: TestDatabase;
  let t: TestApp;
  let server: Server;
  beforeAll(async () => {
    db = await createTestDatabase();
    // The defaults: 10 per address, 1,000 for the service, a /56 four times an address's budget.
    t = await startTestApp(db.url, { TRUST_PROXY: '1', REGISTER_MAX_PER_IP: '10', REGISTER_MAX_GLOBAL: '1000', CLIENT_IPV6_NETWORK_BUDGETS: '56:4,48:16' });
    server = t.app.listen(0, '127.0.0.1');
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    await t.close();
    await db.drop();
  });

  it('110 /64s of one /56 registering 10 times each do not use up the global budget: the /56 gets 429 first, and everyone else still registers', async () => {
    const tasks = Array.from({ length: 110 * 10 }, (_, n) => () =>
      request(server).post('/api/v1/auth/register').set('X-Forwarded-For', inSlash56(0xaa, n % 110)).send({ email: uniqueEmail('net'), password: PASSWORD }),
    );
    const answers = await pool(8, tasks);
    const created = answers.filter((r) => r.status === 201).length;
    const refused = answers.filter((r) => r.status === 429);
    expect(created).toBe(40);
    expect(refused.length).toBe(1100 - 40);
    expect(refused.every((r) => /^Too many registrations from this network/.test(r.body.detail))).toBe(true);
    const [{ points }] = await t.dataSource.query(`SELECT points FROM auth.rate_limits WHERE key = 'register_all:all'`);
    expect(Number(points)).toBe(40);
    // Another network, and an IPv4 client, are not affected.
    for (const ip of [inSlash56(0xbb, 1), '198.51.100.77']) {
      expect((await request(t.app).post('/api/v1/auth/register').set('X-Forwarded-For', ip).send({ email: uniqueEmail('other'), password: PASSWORD })).status).toBe(201);
    }
  }, 120_000);
});

/**
 * bcrypt at cost 4 whose checks of `held` wait until the test releases them: the test keeps the
 * attackers' password checks in flight, as slow ones would be, for as long as it needs.
 */
function holdingHasher(held: string): PasswordHasher & { readonly waiting: number; release(): void } {
  const real = createPasswordHasher(4);
  let open!: () => void;
  let gate = new Promise<void>((resolve) => (open = resolve));
  let waiting = 0;
  return {
    hash: (p) => real.hash(p),
    async verify(p, stored) {
      const result = await real.verify(p, stored);
      if (p === held) {
        waiting += 1;
        await gate;
        waiting -= 1;
      }
      return result;
    },
    get waiting() {
      return waiting;
    },
    release() {
      open();
      gate = new Promise<void>((resolve) => (open = resolve));
    },
  };
}

const HELD = 'a wrong guess held in flight';

describe('the password-check gate under a flood of wrong passwords', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(() => db.drop());

  const login = (app: TestApp, ip: string, email: string, password: string) =>
    request(app.app).post('/api/v1/auth/login').set('X-Forwarded-For', ip).send({ email, password });

  /**
   * Sends one wrong login from each address at once, all held in their password check; resolves
   * when each is either held or refused, with the answers still to come and how many were refused.
   */
  async function flood(app: TestApp, hasher: ReturnType<typeof holdingHasher>, addresses: string[]) {
    let refused = 0;
    const answers = addresses.map((ip, k) =>
      login(app, ip, `nobody-${k}@cathouse.example`, HELD).then((res) => {
        if (res.status === 503) refused += 1;
        return res;
      }),
    );
    await pollUntil('every wrong login held or refused', () => hasher.waiting + refused === addresses.length);
    return { answers, refused };
  }

  it('during 40 concurrent wrong logins from one /56, at least 90% of a clean client\'s correct logins succeed', async () => {
    const hasher = holdingHasher(HELD);
    const t = await startTestApp(db.url, { TRUST_PROXY: '1', LOGIN_MAX_CHECKS_IN_FLIGHT: '32', LOGIN_MAX_CHECKS_PER_PREFIX: '8' }, { hasher });
    try {
      const email = uniqueEmail('clean-56');
      await register(t.app, email);
      const { answers, refused } = await flood(t, hasher, Array.from({ length: 40 }, (_, k) => inSlash56(0xcc, k)));
      // The /56 holds at most LOGIN_MAX_CHECKS_PER_PREFIX of the 32 slots; the rest of its guesses were refused at once.
      expect(hasher.waiting).toBe(8);
      expect(refused).toBe(32);
      let ok = 0;
      for (let i = 0; i < 10; i++) if ((await login(t, '198.51.100.10', email, PASSWORD)).status === 200) ok += 1;
      expect(ok).toBeGreaterThanOrEqual(9);
      hasher.release();
      await Promise.all(answers);
    } finally {
      hasher.release();
      await t.close();
    }
  });

  it('the reserved slots keep a clean client in while wrong logins from unrelated addresses fill the rest of the gate', async () => {
    const hasher = holdingHasher(HELD);
    // A gate of 8 with 2 reserved; 24 IPv4 attackers, no shared prefix: only the reservation helps.
    const t = await startTestApp(db.url, { TRUST_PROXY: '1', LOGIN_MAX_CHECKS_IN_FLIGHT: '8', LOGIN_CHECKS_RESERVED: '2' }, { hasher });
    try {
      const email = uniqueEmail('clean-spread');
      await register(t.app, email);
      const attackers = Array.from({ length: 24 }, (_, k) => `203.0.113.${k + 1}`);
      // Each attacker has a wrong password behind it already.
      for (const ip of attackers) expect((await login(t, ip, 'somebody@cathouse.example', 'an earlier wrong guess')).status).toBe(401);
      const { answers } = await flood(t, hasher, attackers);
      expect(hasher.waiting).toBe(6);
      let ok = 0;
      for (let i = 0; i < 10; i++) if ((await login(t, '198.51.100.11', email, PASSWORD)).status === 200) ok += 1;
      expect(ok).toBeGreaterThanOrEqual(9);
      hasher.release();
      await Promise.all(answers);
    } finally {
      hasher.release();
      await t.close();
    }
  });
});
