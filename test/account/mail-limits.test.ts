import request from 'supertest';
import { startTestApp, type TestApp } from '../support/app';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { bearer, register, uniqueEmail } from '../auth/helpers';
import { api } from './support';

/**
 * Requests that send mail are limited per (email address, client address), per email address
 * across all clients (a larger ceiling and a short debounce), per client address, and, for the
 * signed-in owner's resend, per account; in the shared PostgreSQL counters (rate-limits.ts), so
 * two instances see one count. TRUST_PROXY=1 lets the test choose client addresses with
 * X-Forwarded-For.
 */
describe('abuse limits on requests that send mail', () => {
  let db: TestDatabase;
  const apps: TestApp[] = [];
  const env = { TRUST_PROXY: '1', MAIL_MAX_PER_ADDRESS: '3', MAIL_MAX_PER_ADDRESS_TOTAL: '8', MAIL_MAX_PER_IP: '5', MAIL_LIMIT_WINDOW_SECONDS: '600' };
  beforeAll(async () => {
    db = await createTestDatabase();
    for (let i = 0; i < 2; i++) apps.push(await startTestApp(db.url, env));
  });
  afterAll(async () => {
    for (const t of apps) await t.close();
    await db?.drop();
  });
  const forgot = (i: number, email: string, ip: string) =>
    request(apps[i % 2]!.app).post(api('/password/forgot')).set('x-forwarded-for', ip).send({ email });

  it('per email address and client address, across instances: 429 naming the limit, with Retry-After; another client is not affected', async () => {
    const email = uniqueEmail('limited');
    for (let i = 0; i < 3; i++) expect((await forgot(i, email, '198.51.100.1')).status).toBe(202);
    const res = await forgot(3, email, '198.51.100.1');
    expect(res.status).toBe(429);
    expect(res.body.error).toBe('rate_limited');
    expect(res.body.detail).toMatch(/^Too many mails to this email address from this client address; try again in \d+ seconds\.$/);
    expect(Number(res.headers['retry-after'])).toBeGreaterThan(500);
    expect(res.body.retry_after).toBe(Number(res.headers['retry-after']));
    expect((await forgot(4, email, '198.51.100.2')).status).toBe(202);
  });

  it('per email address across every client: a larger ceiling (MAIL_MAX_PER_ADDRESS_TOTAL)', async () => {
    const email = uniqueEmail('ceiling');
    for (let i = 0; i < 8; i++) expect((await forgot(i, email, `198.51.100.${20 + i}`)).status).toBe(202);
    const res = await forgot(8, email, '198.51.100.40');
    expect(res.status).toBe(429);
    expect(res.body.detail).toMatch(/^Too many mails to this email address; try again/);
  });

  it('per client address, across instances and email addresses: 429 naming the client limit', async () => {
    const ip = '192.0.2.44';
    for (let i = 0; i < 5; i++) expect((await forgot(i, uniqueEmail('spray'), ip)).status).toBe(202);
    const res = await forgot(5, uniqueEmail('spray'), ip);
    expect(res.status).toBe(429);
    expect(res.body.detail).toMatch(/^Too many mail requests from this client address/);
    expect((await forgot(6, uniqueEmail('spray'), '192.0.2.45')).status).toBe(202);
  });

  it('unknown addresses count like known ones (the limit says nothing about accounts)', async () => {
    const known = uniqueEmail('count-known');
    await register(apps[0]!.app, known);
    const unknown = uniqueEmail('count-unknown');
    const statuses = async (email: string, ip: string) => {
      const out: number[] = [];
      for (let i = 0; i < 4; i++) out.push((await forgot(i, email, ip)).status);
      return out;
    };
    expect(await statuses(known, '203.0.113.10')).toEqual([202, 202, 202, 429]);
    expect(await statuses(unknown, '203.0.113.11')).toEqual([202, 202, 202, 429]);
  });

  it('M4: strangers asking mail for an address do not spend its owner\'s budget: the owner\'s resend and forgot still pass', async () => {
    const email = uniqueEmail('victim');
    const owner = await register(apps[0]!.app, email);
    // Five forgot-password requests from five other client addresses (three would have used up the old per-address budget).
    for (let i = 0; i < 5; i++) expect((await forgot(i, email, `203.0.113.${100 + i}`)).status).toBe(202);
    const resend = await request(apps[1]!.app).post(api('/verify-email/resend')).set('x-forwarded-for', '198.51.100.200').set(bearer(owner.access_token));
    expect(resend.status).toBe(202);
    expect((await forgot(0, email, '198.51.100.200')).status).toBe(202);
  });

  it('the owner\'s resend is counted per account, never against the address\'s budgets', async () => {
    const reg = await register(apps[0]!.app, uniqueEmail('resend-limit'));
    const codes: number[] = [];
    for (let i = 0; i < 4; i++) {
      codes.push((await request(apps[i % 2]!.app).post(api('/verify-email/resend')).set('x-forwarded-for', `192.0.2.${80 + i}`).set(bearer(reg.access_token))).status);
    }
    // The registration's own mail is not a request to send; three resends pass, the fourth is over the account's limit.
    expect(codes).toEqual([202, 202, 202, 429]);
    const target = uniqueEmail('change-limit');
    const change = async () =>
      (await request(apps[1]!.app).post(api('/email/change')).set('x-forwarded-for', '192.0.2.78').set(bearer(reg.access_token)).send({ new_email: target, password: 'correct horse battery staple' })).status;
    // An email change is counted for the new address and this client address, like a forgot.
    expect([await change(), await change(), await change(), await change()]).toEqual([202, 202, 202, 429]);
  });
});

describe('the per-address debounce', () => {
  let db: TestDatabase;
  let t: TestApp;
  beforeAll(async () => {
    db = await createTestDatabase();
    t = await startTestApp(db.url, { TRUST_PROXY: '1', MAIL_ADDRESS_DEBOUNCE_SECONDS: '2' });
  });
  afterAll(async () => {
    await t.close();
    await db.drop();
  });

  it('one mail to an address per MAIL_ADDRESS_DEBOUNCE_SECONDS, whoever asks; then it passes again', async () => {
    const email = uniqueEmail('debounced');
    const ask = (ip: string) => request(t.app).post(api('/password/forgot')).set('x-forwarded-for', ip).send({ email });
    expect((await ask('198.51.100.61')).status).toBe(202);
    const soon = await ask('198.51.100.62');
    expect(soon.status).toBe(429);
    expect(soon.body.detail).toMatch(/^A mail to this email address was just sent; try again in [12] seconds\.$/);
    await new Promise((resolve) => setTimeout(resolve, 2_100));
    expect((await ask('198.51.100.62')).status).toBe(202);
  });
});
