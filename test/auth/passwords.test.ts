import { monitorEventLoopDelay } from 'node:perf_hooks';
import bcrypt from 'bcrypt';
import request from 'supertest';
import { createPasswordHasher } from '../../src/auth/accounts/passwords';
import { startTestApp, type TestApp, useTestApp } from '../support/app';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { register, uniqueEmail } from './helpers';

const LOGIN = '/api/v1/auth/login';
const REGISTER = '/api/v1/auth/register';

describe('password hashing', () => {
  const hasher = createPasswordHasher(4);

  it('is bcrypt at the configured cost', async () => {
    expect(await createPasswordHasher(5).hash('correct horse battery staple')).toMatch(/^\$2b\$05\$/);
  });

  it('tells apart two passwords that differ only after byte 72 (no silent truncation)', async () => {
    const prefix = 'p'.repeat(72);
    const stored = await hasher.hash(`${prefix}-one`);
    expect(await hasher.verify(`${prefix}-one`, stored)).toBe(true);
    expect(await hasher.verify(`${prefix}-two`, stored)).toBe(false);
    expect(await hasher.verify(prefix, stored)).toBe(false);
  });

  it('tells apart multi-byte passwords that differ after byte 72 (24 three-byte characters)', async () => {
    const prefix = '猫'.repeat(24); // 72 bytes in UTF-8
    const stored = await hasher.hash(`${prefix}a`);
    expect(await hasher.verify(`${prefix}b`, stored)).toBe(false);
  });

  it('compares after NFKC, so compatibility forms of one password match', async () => {
    const stored = await hasher.hash('ﬁre Ｃａｔ ①②③'); // ligature, full-width letters, circled digits
    expect(await hasher.verify('fire Cat 123', stored)).toBe(true);
    const composed = await hasher.hash('Caf\u00e9 au lait'); // é as one code point
    expect(await hasher.verify('Cafe\u0301 au lait', composed)).toBe(true); // e + combining acute
  });

  it('an unknown account still costs one bcrypt comparison and never matches', async () => {
    expect(await hasher.verify('anything at all', null)).toBe(false);
  });

  it('hashes off the event loop (the async API uses the libuv pool)', async () => {
    const slow = createPasswordHasher(12);
    const histogram = monitorEventLoopDelay({ resolution: 10 });
    histogram.enable();
    const started = Date.now();
    await slow.hash('correct horse battery staple');
    const took = Date.now() - started;
    histogram.disable();
    // A blocking cost-12 hash (~200 ms or more) would show up as an event-loop stall of the same length.
    expect(took).toBeGreaterThan(50);
    expect(histogram.max / 1e6).toBeLessThan(took / 2);
  });
});

describe('password and email rules at the API (NIST 800-63B)', () => {
  const t = useTestApp();

  it('refuses fewer than 8 characters with weak_password, counting characters not bytes', async () => {
    const short = await request(t.app).post(REGISTER).send({ email: uniqueEmail(), password: 'seven77' });
    expect(short.status).toBe(400);
    expect(short.body.error).toBe('weak_password');
    // 7 emoji are 28 bytes but 7 characters: still too short.
    const emoji = await request(t.app).post(REGISTER).send({ email: uniqueEmail(), password: '🐱🐱🐱🐱🐱🐱🐱' });
    expect(emoji.body.error).toBe('weak_password');
    // 8 emoji are enough, and no composition rule asks for digits or capitals.
    const ok = await request(t.app).post(REGISTER).send({ email: uniqueEmail(), password: '🐱🐱🐱🐱🐱🐱🐱🐱' });
    expect(ok.status).toBe(201);
  });

  it('counts length after NFKC', async () => {
    // U+FB03 "ﬃ" is one character that NFKC expands to three: 6 + 3 = 9 characters.
    const res = await request(t.app).post(REGISTER).send({ email: uniqueEmail(), password: 'abcdef\ufb03' });
    expect(res.status).toBe(201);
  });

  it('accepts long passphrases up to 1024 characters and refuses longer', async () => {
    const email = uniqueEmail();
    const long = 'a long passphrase '.repeat(56).slice(0, 1024);
    expect((await request(t.app).post(REGISTER).send({ email, password: long })).status).toBe(201);
    expect((await request(t.app).post(LOGIN).send({ email, password: long })).status).toBe(200);
    const tooLong = await request(t.app).post(REGISTER).send({ email: uniqueEmail(), password: 'x'.repeat(1025) });
    expect(tooLong.body.error).toBe('weak_password');
  });

  it('logs in with the NFKC-equivalent spelling of the password', async () => {
    const email = uniqueEmail();
    await register(t.app, email, 'Ｃａｔｈｏｕｓｅ ｆｏｒｅｖｅｒ');
    expect((await request(t.app).post(LOGIN).send({ email, password: 'Cathouse forever' })).status).toBe(200);
  });

  it('logs in only with the full long password, not its first 72 bytes', async () => {
    const email = uniqueEmail();
    const password = `${'z'.repeat(72)}-the-rest-matters`;
    await register(t.app, email, password);
    const truncated = await request(t.app).post(LOGIN).send({ email, password: 'z'.repeat(72) });
    expect(truncated.body.error).toBe('invalid_credentials');
    const other = await request(t.app).post(LOGIN).send({ email, password: `${'z'.repeat(72)}-something-else` });
    expect(other.body.error).toBe('invalid_credentials');
  });

  it('stores emails trimmed and lower-cased, unique in the database', async () => {
    const email = uniqueEmail();
    await register(t.app, email);
    const again = await request(t.app).post(REGISTER).send({ email: `  ${email.toUpperCase()}  `, password: 'another good password' });
    expect(again.status).toBe(409);
    expect(again.body.error).toBe('email_taken');
    const login = await request(t.app).post(LOGIN).send({ email: ` ${email.toUpperCase()}`, password: 'correct horse battery staple' });
    expect(login.status).toBe(200);
    // The database itself refuses a second row for the same address in another case.
    await expect(t.dataSource.query(`INSERT INTO auth.users (email, password_hash) VALUES ($1, 'x')`, [email.toUpperCase()])).rejects.toThrow(
      /chk_users_email_normalized/,
    );
  });

  it('two registrations racing for one email: one 201, one email_taken', async () => {
    const email = uniqueEmail();
    const answers = await Promise.all(
      [1, 2, 3].map(() => request(t.app).post(REGISTER).send({ email, password: 'correct horse battery staple' })),
    );
    expect(answers.map((a) => a.status).sort()).toEqual([201, 409, 409]);
  });

  it('refuses an invalid email with invalid_request naming the field', async () => {
    for (const email of ['not-an-email', '', 'a@b', `${'x'.repeat(320)}@example.com`]) {
      const res = await request(t.app).post(REGISTER).send({ email, password: 'correct horse battery staple' });
      expect(res.status).toBe(400);
      expect(res.body.error).toBe('invalid_request');
      expect(res.body.invalid_params[0].name).toBe('email');
    }
  });

  it('unknown email and wrong password answer the same invalid_credentials', async () => {
    const email = uniqueEmail();
    await register(t.app, email);
    const wrong = await request(t.app).post(LOGIN).send({ email, password: 'wrong password here' });
    const unknown = await request(t.app).post(LOGIN).send({ email: uniqueEmail('nobody'), password: 'wrong password here' });
    for (const res of [wrong, unknown]) {
      expect(res.status).toBe(401);
      expect(res.body.error).toBe('invalid_credentials');
    }
    const strip = (body: Record<string, unknown>) => ({ ...body, request_id: undefined });
    expect(strip(wrong.body)).toEqual(strip(unknown.body));
  });
});

describe('login timing does not reveal whether an account exists', () => {
  let db: TestDatabase;
  let t: TestApp;

  beforeAll(async () => {
    db = await createTestDatabase();
    t = await startTestApp(db.url, { BCRYPT_COST: '10', LOGIN_MAX_FAILURES_PER_ACCOUNT: '1000', LOGIN_MAX_FAILURES_PER_IP: '1000' });
  });
  afterAll(async () => {
    await t.close();
    await db.drop();
  });

  // Timing samples on a shared machine cannot catch a 20% difference without thousands of them;
  // the code path can be checked exactly: the same bcrypt work, whatever the email.
  it('an unknown email runs the same bcrypt work as a wrong password: one compare, against a hash of the same cost', async () => {
    const email = uniqueEmail();
    await register(t.app, email);
    const compare = jest.spyOn(bcrypt, 'compare');
    const hash = jest.spyOn(bcrypt, 'hash');
    try {
      const bcryptWork = async (body: object) => {
        compare.mockClear();
        hash.mockClear();
        const res = await request(t.app).post(LOGIN).send(body);
        expect(res.body.error).toBe('invalid_credentials');
        return {
          compares: compare.mock.calls.map(([, stored]) => String(stored).slice(0, 7)),
          hashes: hash.mock.calls.length,
        };
      };
      const wrongPassword = await bcryptWork({ email, password: 'wrong password here' });
      const unknownEmail = await bcryptWork({ email: uniqueEmail('ghost'), password: 'wrong password here' });
      expect(wrongPassword).toEqual({ compares: ['$2b$10$'], hashes: 0 });
      expect(unknownEmail).toEqual(wrongPassword);
    } finally {
      compare.mockRestore();
      hash.mockRestore();
    }
  });
});
