import request from 'supertest';
import { startTestApp, type TestApp } from '../support/app';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { bearer, register, uniqueEmail } from '../auth/helpers';
import { api } from './support';

/**
 * Requests that send mail are limited per email address and per client address, in the shared
 * PostgreSQL counters (rate-limits.ts), so two instances see one count. TRUST_PROXY=1 lets the
 * test choose client addresses with X-Forwarded-For.
 */
describe('abuse limits on requests that send mail', () => {
  let db: TestDatabase;
  const apps: TestApp[] = [];
  const env = { TRUST_PROXY: '1', MAIL_MAX_PER_ADDRESS: '3', MAIL_MAX_PER_IP: '5', MAIL_LIMIT_WINDOW_SECONDS: '600' };
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

  it('per email address, across instances and client addresses: 429 naming the address limit, with Retry-After', async () => {
    const email = uniqueEmail('limited');
    for (let i = 0; i < 3; i++) expect((await forgot(i, email, `198.51.100.${i + 1}`)).status).toBe(202);
    const res = await forgot(3, email, '198.51.100.9');
    expect(res.status).toBe(429);
    expect(res.body.error).toBe('rate_limited');
    expect(res.body.detail).toMatch(/^Too many mails to this email address; try again in \d+ seconds\.$/);
    expect(Number(res.headers['retry-after'])).toBeGreaterThan(500);
    expect(res.body.retry_after).toBe(Number(res.headers['retry-after']));
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
    const statuses = async (email: string) => {
      const out: number[] = [];
      for (let i = 0; i < 4; i++) out.push((await forgot(i, email, `203.0.113.${i + 10}`)).status);
      return out;
    };
    expect(await statuses(known)).toEqual([202, 202, 202, 429]);
    expect(await statuses(unknown)).toEqual([202, 202, 202, 429]);
  });

  it('resend and email change share the limits', async () => {
    const reg = await register(apps[0]!.app, uniqueEmail('resend-limit'));
    const ip = '192.0.2.77';
    const codes: number[] = [];
    for (let i = 0; i < 4; i++) {
      codes.push((await request(apps[i % 2]!.app).post(api('/verify-email/resend')).set('x-forwarded-for', ip).set(bearer(reg.access_token))).status);
    }
    // The registration's own mail is not a request to send; three resends pass, the fourth is over the address limit.
    expect(codes).toEqual([202, 202, 202, 429]);
    const target = uniqueEmail('change-limit');
    const change = async () =>
      (await request(apps[1]!.app).post(api('/email/change')).set('x-forwarded-for', '192.0.2.78').set(bearer(reg.access_token)).send({ new_email: target, password: 'correct horse battery staple' })).status;
    expect([await change(), await change(), await change(), await change()]).toEqual([202, 202, 202, 429]);
  });
});
