import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startTestApp, type TestApp } from '../support/app';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { startPgBouncer, type PgBouncer } from '../support/pgbouncer';
import { pollUntil } from '../support/poll';
import { startSmtpServer, type TestSmtpServer } from '../support/smtp';
import { runWholeFlow } from './whole-flow';

/** The whole lifecycle over a real PgBouncer in transaction mode, two instances (each with its mail sender) behind it. */
describe('the account lifecycle through PgBouncer (transaction pooling), two instances', () => {
  let db: TestDatabase;
  let bouncer: PgBouncer;
  let smtp: TestSmtpServer;
  const instances: { t: TestApp; server: Server; url: string }[] = [];

  beforeAll(async () => {
    db = await createTestDatabase();
    bouncer = await startPgBouncer(db.url, { poolSize: 3 });
    smtp = await startSmtpServer();
    for (let i = 0; i < 2; i++) {
      const t = await startTestApp(bouncer.url, { DB_POOL_MAX: '8', SMTP_URL: smtp.url, MAIL_POLL_INTERVAL_MS: '100' }, { mail: true });
      const server = t.app.listen(0, '127.0.0.1');
      await new Promise((resolve) => server.once('listening', resolve));
      instances.push({ t, server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1/auth` });
    }
  });
  afterAll(async () => {
    for (const { t, server } of instances) {
      await new Promise((resolve) => server.close(resolve));
      await t.close();
    }
    await smtp?.stop();
    await bouncer?.stop();
    await db?.drop();
  });

  it('register → verify → developer → change password → forget and reset → change email → profile → delete, every mail from the real SMTP server', async () => {
    const seen = new Map<string, number>();
    await runWholeFlow(
      instances.map((i) => i.url),
      async (to, subject) => {
        const key = `${to} ${subject.source}`;
        const n = (seen.get(key) ?? 0) + 1;
        seen.set(key, n);
        return pollUntil(`mail ${n} to ${to} (${subject.source})`, () => smtp.mailsTo(to).filter((m) => subject.test(m.subject))[n - 1], { timeoutMs: 15_000 });
      },
      'pooled',
    );
    // Each mail once, although two senders shared the outbox through the pooler.
    const all = smtp.received.map((m) => `${m.rcptTo.join()} ${m.subject}`);
    expect(new Set(all).size).toBe(all.length);
  });
});
