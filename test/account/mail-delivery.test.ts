import { createServer, type Server, type Socket } from 'node:net';
import request from 'supertest';
import { enqueueMail, listOutbox, outboxKey } from '../../src/auth/mail/outbox';
import { generateSigningKeyPem } from '../../src/auth/tokens/signing-keys';
import { createLogger } from '../../src/logging/logger';
import { startTestApp, type TestApp } from '../support/app';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { pollUntil } from '../support/poll';
import { findFreePort } from '../support/ports';
import { signalGroup, spawnInRepo } from '../support/processes';
import { startSmtpServer, type TestSmtpServer } from '../support/smtp';
import { register, uniqueEmail } from '../auth/helpers';

const APP_URL = 'https://app.cathouse.example';

/** The outbox rows of mail to `to`: by recipient while pending, by the account once sent (a sent row loses its recipient). */
async function outboxRow(t: TestApp, to: string) {
  const rows = await t.dataSource.query(
    `SELECT status, attempts, last_error, secret, sent_at, recipient FROM auth.mail_outbox
      WHERE recipient = $1 OR user_id IN (SELECT id FROM auth.users WHERE email = $1) ORDER BY created_at`,
    [to],
  );
  return rows as { status: string; attempts: number; last_error: string | null; secret: Buffer | null; sent_at: Date | null; recipient: string | null }[];
}

describe('mail: outbox, sender and a real SMTP server', () => {
  let db: TestDatabase;
  let smtp: TestSmtpServer;
  let t: TestApp;
  const logLines: Record<string, unknown>[] = [];

  beforeAll(async () => {
    db = await createTestDatabase();
    smtp = await startSmtpServer();
    t = await startTestApp(
      db.url,
      { SMTP_URL: smtp.url, MAIL_FROM: 'Cat House <no-reply@cathouse.example>', APP_URL, MAIL_RETRY_BASE_SECONDS: '1', MAIL_POLL_INTERVAL_MS: '100', MAIL_SEND_TIMEOUT_MS: '2000' },
      { mail: true, logger: createLogger('info', { write: (line: string) => logLines.push(JSON.parse(line)) }) },
    );
  });
  afterAll(async () => {
    await t?.close();
    await smtp?.stop();
    await db?.drop();
  });

  it('a registration sends a verification mail: recipient, subject, a link to APP_URL with the token in the fragment, text and HTML parts', async () => {
    const email = uniqueEmail('mail');
    await register(t.app, email);
    const mail = await smtp.waitFor(email, /Confirm your email/);
    expect(mail.rcptTo).toEqual([email]);
    expect(mail.from).toContain('no-reply@cathouse.example');
    expect(mail.link).toMatch(new RegExp(`^${APP_URL}/verify-email#token=[A-Za-z0-9_-]{43}$`));
    expect(mail.text).toContain(mail.link);
    expect(mail.html).toContain(`href="${mail.link}"`);
    // Delivered: marked sent, and the sealed token is gone from the database.
    const row = await pollUntil('the row marked sent', async () => (await outboxRow(t, email)).find((r) => r.status === 'sent'));
    // Issue 22 M9: the address is not kept once the mail is sent.
    expect(row).toMatchObject({ status: 'sent', attempts: 1, secret: null, recipient: null });
  });

  it('a pending row holds the link token only sealed, never in clear', async () => {
    const email = uniqueEmail('sealed');
    const token = 'A'.repeat(43);
    await t.dataSource.transaction((m) => enqueueMail(m, outboxKey(t.authKeys.tokenSecret), { template: 'verify_email', to: email, userId: null, token }));
    const raw = await t.dataSource.query(`SELECT params::text AS params, encode(secret, 'escape') AS secret FROM auth.mail_outbox WHERE recipient = $1`, [email]);
    expect(JSON.stringify(raw)).not.toContain(token);
    expect((await smtp.waitFor(email)).token).toBe(token);
  });

  it('mail is written in the transaction of its change: a rolled-back change leaves no mail', async () => {
    const email = uniqueEmail('rolled-back');
    await expect(
      t.dataSource.transaction(async (m) => {
        await enqueueMail(m, outboxKey(t.authKeys.tokenSecret), { template: 'password_changed', to: email, userId: null });
        throw new Error('the change failed');
      }),
    ).rejects.toThrow('the change failed');
    expect(await outboxRow(t, email)).toEqual([]);
  });

  it('an SMTP outage delays mail and recovers by itself: retried with backoff, delivered once the server is back', async () => {
    await smtp.stop();
    const email = uniqueEmail('outage');
    await register(t.app, email);
    const failed = await pollUntil('a failed try', async () => (await outboxRow(t, email)).find((r) => r.last_error !== null));
    expect(failed).toMatchObject({ status: 'pending' });
    expect(logLines.some((l) => l.event === 'mail_retry')).toBe(true);
    await smtp.start();
    const mail = await smtp.waitFor(email, /Confirm your email/, 20_000);
    expect(mail.token).toBeDefined();
    const sent = await pollUntil('sent', async () => (await outboxRow(t, email)).find((r) => r.status === 'sent'));
    expect(sent.attempts).toBeGreaterThan(1);
  });

  it('two instances share the outbox: every mail is delivered exactly once (FOR UPDATE SKIP LOCKED)', async () => {
    const second = await startTestApp(db.url, { SMTP_URL: smtp.url, APP_URL, MAIL_POLL_INTERVAL_MS: '50' }, { mail: true });
    try {
      const key = outboxKey(t.authKeys.tokenSecret);
      const emails = Array.from({ length: 40 }, () => uniqueEmail('shared'));
      await t.dataSource.transaction(async (m) => {
        for (const to of emails) await enqueueMail(m, key, { template: 'password_changed', to, userId: null });
      });
      t.mailSender!.nudge();
      second.mailSender!.nudge();
      await pollUntil('all 40 delivered', () => emails.every((e) => smtp.mailsTo(e).length > 0), { timeoutMs: 20_000 });
      await Promise.all([t.mailSender!.drain(), second.mailSender!.drain()]);
      expect(emails.map((e) => smtp.mailsTo(e).length)).toEqual(emails.map(() => 1));
    } finally {
      await second.close();
    }
  });
});

describe('mail: bounded tries', () => {
  let db: TestDatabase;
  let t: TestApp;
  const logLines: Record<string, unknown>[] = [];
  beforeAll(async () => {
    db = await createTestDatabase();
    const closedPort = await findFreePort();
    t = await startTestApp(
      db.url,
      { SMTP_URL: `smtp://127.0.0.1:${closedPort}`, MAIL_MAX_ATTEMPTS: '2', MAIL_RETRY_BASE_SECONDS: '1', MAIL_POLL_INTERVAL_MS: '100' },
      { mail: true, logger: createLogger('info', { write: (line: string) => logLines.push(JSON.parse(line)) }) },
    );
  });
  afterAll(async () => {
    await t?.close();
    await db?.drop();
  });

  it('a mail that keeps failing is given up after MAIL_MAX_ATTEMPTS tries: status failed in the outbox view, logged at error', async () => {
    const email = uniqueEmail('given-up');
    await register(t.app, email);
    const entry = await pollUntil('the mail given up', async () => (await listOutbox(t.dataSource, { status: 'failed' })).find((e) => e.recipient === email), { timeoutMs: 15_000 });
    expect(entry).toMatchObject({ status: 'failed', attempts: 2, template: 'verify_email' });
    expect(entry.last_error).toMatch(/ECONNREFUSED|connect/i);
    const errorLine = logLines.find((l) => l.event === 'mail_given_up');
    expect(errorLine).toMatchObject({ level: 50, template: 'verify_email', attempt: 2 });
    const secret = await t.dataSource.query(`SELECT secret FROM auth.mail_outbox WHERE id = $1`, [entry.id]);
    expect(secret[0].secret).toBeNull();
  });
});

describe('mail: a sender killed between commit and send loses nothing', () => {
  let db: TestDatabase;
  let smtp: TestSmtpServer;
  let blackhole: Server;
  const sockets: Socket[] = [];
  beforeAll(async () => {
    db = await createTestDatabase();
    smtp = await startSmtpServer();
    // Accepts SMTP connections and never answers: the sender that claims a mail hangs in the send.
    blackhole = createServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => blackhole.listen(0, '127.0.0.1', resolve));
  });
  afterAll(async () => {
    sockets.forEach((s) => s.destroy());
    await new Promise((resolve) => blackhole.close(resolve));
    await smtp?.stop();
    await db?.drop();
  });

  it('an SMTP server that never greets: the try fails after MAIL_SEND_TIMEOUT_MS, not nodemailer\'s own 30 s, and is retried', async () => {
    const t = await startTestApp(db.url, { SMTP_URL: `smtp://127.0.0.1:${(blackhole.address() as { port: number }).port}`, MAIL_SEND_TIMEOUT_MS: '500', MAIL_POLL_INTERVAL_MS: '100' }, { mail: true });
    try {
      const email = uniqueEmail('silent-server');
      await t.dataSource.transaction((m) => enqueueMail(m, outboxKey(t.authKeys.tokenSecret), { template: 'password_changed', to: email, userId: null }));
      t.mailSender!.nudge();
      const started = Date.now();
      const failed = await pollUntil('a failed try', async () => (await outboxRow(t, email)).find((r) => r.last_error !== null), { timeoutMs: 10_000 });
      expect(failed.status).toBe('pending');
      expect(Date.now() - started).toBeLessThan(10_000);
    } finally {
      await t.close();
    }
  });

  it('SIGKILL of a service whose sender has claimed the mail: another instance delivers it once the claim lapses', async () => {
    const port = await findFreePort();
    const env = {
      NODE_ENV: 'development',
      PORT: String(port),
      HOST: '127.0.0.1',
      DATABASE_URL: db.url,
      JWT_PRIVATE_KEY: generateSigningKeyPem(),
      TOKEN_SECRET: 'test-secret-test-secret-test-secret-0123',
      SMTP_URL: `smtp://127.0.0.1:${(blackhole.address() as { port: number }).port}`,
      MAIL_SEND_TIMEOUT_MS: '1000',
      MAIL_POLL_INTERVAL_MS: '100',
      LOG_LEVEL: 'info',
      BCRYPT_COST: '4',
    };
    const child = spawnInRepo('node', ['-r', '@swc-node/register', 'src/main.ts'], env);
    try {
      await child.waitForOutput(/listening on/, 60_000);
      const email = uniqueEmail('killed');
      const res = await fetch(`http://127.0.0.1:${port}/api/v1/auth/register`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email, password: 'correct horse battery staple' }),
      });
      expect(res.status).toBe(201);
      // The child's sender has claimed it (attempts = 1) and is stuck in the SMTP conversation.
      const admin = await startTestApp(db.url, { SMTP_URL: smtp.url, MAIL_POLL_INTERVAL_MS: '100' });
      try {
        await pollUntil('the child claiming the mail', async () => (await admin.dataSource.query(`SELECT attempts FROM auth.mail_outbox WHERE recipient = $1`, [email]))[0]?.attempts === 1);
        // ...and has connected to the SMTP server that never answers: the send is in progress.
        await pollUntil('the child connecting to SMTP', () => sockets.length > 0);
        signalGroup(child, 'SIGKILL');
        await child.exited;
        expect(smtp.mailsTo(email)).toEqual([]);
      } finally {
        await admin.close();
      }
      // Another instance with a working SMTP server.
      const other = await startTestApp(db.url, { SMTP_URL: smtp.url, MAIL_POLL_INTERVAL_MS: '100' }, { mail: true });
      try {
        const mail = await smtp.waitFor(email, /Confirm your email/, 20_000);
        expect(mail.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
        const verified = await request(other.app).post('/api/v1/auth/verify-email').send({ token: mail.token });
        expect(verified.status).toBe(200);
        await other.mailSender!.drain();
        expect(smtp.mailsTo(email)).toHaveLength(1);
      } finally {
        await other.close();
      }
    } finally {
      signalGroup(child, 'SIGKILL');
    }
  });
});
