import request from 'supertest';
import { startTestApp, type TestApp } from '../support/app';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { pollUntil } from '../support/poll';
import { startSmtpServer, type TestSmtpServer } from '../support/smtp';

const OLD = 'old-token-secret-old-token-secret-0123456789';
const NEW = 'new-token-secret-new-token-secret-0123456789';
const API = '/api/v1/auth';
const MAIL = { MAIL_POLL_INTERVAL_MS: '100', MAIL_RETRY_BASE_SECONDS: '1', APP_URL: 'https://app.cathouse.example' };

/**
 * Issue 21: TOKEN_SECRET rotated in two phases. Phase one deploys TOKEN_NEXT_SECRET (accepted, not
 * used); phase two makes it TOKEN_SECRET and the old one TOKEN_PREVIOUS_SECRETS. Instances of
 * neighbouring phases run side by side during each rollout and must accept each other's tokens and mail.
 * (The same procedure across two real processes under load: test/reliability/deploy.test.ts.)
 */
describe('rotating TOKEN_SECRET in two phases', () => {
  let db: TestDatabase;
  let smtp: TestSmtpServer;
  const apps: TestApp[] = [];
  const app = async (env: Record<string, string>, mail = false) => {
    const t = await startTestApp(db.url, { TOKEN_SECRET: OLD, SMTP_URL: smtp.url, ...MAIL, ...env }, { mail });
    apps.push(t);
    return t;
  };
  beforeAll(async () => {
    [db, smtp] = await Promise.all([createTestDatabase(), startSmtpServer()]);
  });
  afterAll(async () => {
    for (const t of apps) await t.close();
    await smtp.stop();
    await db.drop();
  });

  it('a phase-two instance refreshes a session and the phase-one instance beside it accepts the new token; mail sealed in either phase is sent', async () => {
    const before = await app({});
    const phaseOne = await app({ TOKEN_NEXT_SECRET: NEW });
    const phaseTwo = await app({ TOKEN_SECRET: NEW, TOKEN_PREVIOUS_SECRETS: OLD });

    const email = `rotation-${Date.now()}@cathouse.example`;
    const registered = await request(before.app).post(`${API}/register`).send({ email, password: 'correct horse battery staple' }).expect(201);
    // Mail queued before the rotation, sealed with the old secret.
    await request(before.app).post(`${API}/password/forgot`).send({ email }).expect(202);

    // Phase two mints with the new secret...
    const rotated = await request(phaseTwo.app).post(`${API}/refresh`).send({ refresh_token: registered.body.refresh_token }).expect(200);
    // ...which an instance without phase one would refuse (and the browser client would sign the user out)...
    const refused = await request(before.app).post(`${API}/refresh`).send({ refresh_token: rotated.body.refresh_token });
    expect({ status: refused.status, error: refused.body.error }).toEqual({ status: 400, error: 'invalid_grant' });
    // ...and a phase-one instance accepts.
    const again = await request(phaseOne.app).post(`${API}/refresh`).send({ refresh_token: rotated.body.refresh_token }).expect(200);
    await request(phaseTwo.app).post(`${API}/refresh`).send({ refresh_token: again.body.refresh_token }).expect(200);

    // Mail sealed by phase two is sent by a phase-one sender, and the old mail by a phase-two sender.
    await request(phaseTwo.app).post(`${API}/verify-email/resend`).set('authorization', `Bearer ${rotated.body.access_token}`).expect(202);
    const senderOne = await app({ TOKEN_NEXT_SECRET: NEW }, true);
    const senderTwo = await app({ TOKEN_SECRET: NEW, TOKEN_PREVIOUS_SECRETS: OLD }, true);
    await Promise.all([senderOne.mailSender!.drain(), senderTwo.mailSender!.drain()]);
    const reset = await smtp.waitFor(email, /reset/i);
    const verify = await smtp.waitFor(email, /verif|confirm/i);
    expect(reset.token).toBeDefined();
    expect(verify.token).toBeDefined();
    const outbox = await phaseTwo.dataSource.query(`SELECT status, last_error FROM auth.mail_outbox WHERE recipient = $1`, [email]);
    expect(outbox.every((r: { status: string }) => r.status === 'sent')).toBe(true);
    // The old mail's link still works.
    await request(phaseTwo.app).post(`${API}/password/reset`).send({ token: reset.token, password: 'another horse battery staple' }).expect(204);
  });

  it('mail sealed with a secret its sender does not accept waits, its error naming the fix; once the secret is in TOKEN_PREVIOUS_SECRETS it is sent', async () => {
    // The earlier test's senders accept the old secret: stopped, so that only the senders below see this mail.
    for (const t of apps) await t.mailSender?.stop();
    const before = await app({});
    const email = `unknown-secret-${Date.now()}@cathouse.example`;
    await request(before.app).post(`${API}/register`).send({ email, password: 'correct horse battery staple' }).expect(201);
    await request(before.app).post(`${API}/password/forgot`).send({ email }).expect(202);
    // forgot answers before it queues (the same time for unknown addresses): wait for both mails.
    const queued = async () => (await before.dataSource.query(`SELECT count(*)::int AS n FROM auth.mail_outbox WHERE recipient = $1`, [email]))[0].n as number;
    await pollUntil('the verification and reset mails queued', async () => (await queued()) === 2 || undefined, { timeoutMs: 10_000 });

    // A sender that skipped a phase: the old secret is neither its TOKEN_SECRET nor a previous one.
    const stranger = await startTestApp(db.url, { TOKEN_SECRET: NEW, SMTP_URL: smtp.url, ...MAIL }, { mail: true });
    await stranger.mailSender!.drain();
    await stranger.close();
    const waiting: { status: string; attempts: number; last_error: string }[] = await before.dataSource.query(
      `SELECT status, attempts, last_error FROM auth.mail_outbox WHERE recipient = $1`,
      [email],
    );
    expect(waiting).toHaveLength(2);
    for (const row of waiting) {
      // Kept for a retry, not given up: nothing is lost while the operator fixes the configuration.
      expect(row).toMatchObject({ status: 'pending', attempts: expect.any(Number) });
      expect(row.last_error).toContain('sealed with a TOKEN_SECRET this instance does not accept');
      expect(row.last_error).toContain('add that secret to TOKEN_PREVIOUS_SECRETS');
    }
    expect(smtp.mailsTo(email)).toEqual([]);

    // The fix the error names: the old secret among the previous ones.
    await app({ TOKEN_SECRET: NEW, TOKEN_PREVIOUS_SECRETS: OLD }, true);
    const reset = await smtp.waitFor(email, /reset/i);
    expect(reset.token).toBeDefined();
    await request(before.app).post(`${API}/password/reset`).send({ token: reset.token, password: 'another horse battery staple' }).expect(204);
  });
});
