import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { recordSecurityEvent } from '../../src/auth/events/record';
import { sealingKeys } from '../../src/auth/events/secrets';
import { createWebhook } from '../../src/auth/events/webhooks';
import { startTestApp, type TestApp } from '../support/app';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { createSigningKey, startServiceProcess, type ServiceProcess, type SigningKey } from '../reliability/support/service-process';

/**
 * Issue 29: a service killed with SIGKILL in the middle of a delivery loses nothing. The real
 * service process (npm start's entry point) claims deliveries and sends the first to a receiver
 * that holds the request open; it is killed there. Another instance sends everything once the
 * dead one's claims lapse (2 x EVENTS_SEND_TIMEOUT_MS): every event arrives, in order per subject;
 * the one in flight at the kill arrives twice (at-least-once, same webhook-id).
 */
const TOKEN_SECRET = 'test-secret-test-secret-test-secret-0123';
const EVENTS = { EVENTS_ALLOWED_NETWORKS: '127.0.0.1/32', EVENTS_SEND_TIMEOUT_MS: '1000', EVENTS_RETRY_BASE_MS: '50', EVENTS_POLL_INTERVAL_MS: '100' };

describe('event delivery survives SIGKILL of the sending instance', () => {
  let db: TestDatabase;
  let key: SigningKey;
  let t: TestApp;
  let child: ServiceProcess | undefined;
  let server: Server;
  let survivor: TestApp | undefined;
  const held: ServerResponse[] = [];
  const arrived: { id: string; eventId: number; subject: string; answered: boolean }[] = [];
  let holding = true;

  beforeAll(async () => {
    db = await createTestDatabase();
    key = await createSigningKey();
    server = createServer((req: IncomingMessage, res: ServerResponse) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        const data = (JSON.parse(body) as { data: { event_id: string; user_id: string } }).data;
        const entry = { id: req.headers['webhook-id'] as string, eventId: Number(data.event_id), subject: data.user_id, answered: !holding };
        arrived.push(entry);
        if (holding) held.push(res); // never answered: the sender is mid-delivery when it dies
        else res.writeHead(204).end();
      });
    });
    server.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    // In-process, without a sender: records the events and the webhook, as the API would.
    t = await startTestApp(db.url, { JWT_PRIVATE_KEY_FILE: key.privateKeyFile, TOKEN_SECRET, ...EVENTS });
  });
  afterAll(async () => {
    await child?.stop(1_000);
    await survivor?.close();
    await t?.close();
    for (const res of held) res.destroy();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await db?.drop();
    await key?.remove();
  });

  it('nothing is lost: the events in flight and waiting are delivered by the next instance', async () => {
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`;
    await createWebhook(t.dataSource, { policy: t.config.events, sealing: sealingKeys(t.authKeys.tokenSecret, t.authKeys.previousTokenSecrets) }, { url, eventTypes: ['factor.added'] });
    const subjects = [randomUUID(), randomUUID()];
    for (const id of subjects) await t.dataSource.query(`INSERT INTO auth.users (id, email, password_hash) VALUES ($1, $2, 'x')`, [id, `${id}@cathouse.example`]);
    for (let i = 0; i < 3; i++) {
      for (const user of subjects) await recordSecurityEvent(t.dataSource, { type: 'factor.added', subject: { user }, data: { factor_id: `f${i}`, factor_type: 'totp' } });
    }

    child = await startServiceProcess({
      env: {
        NODE_ENV: 'test',
        DATABASE_URL: db.url,
        JWT_PRIVATE_KEY_FILE: key.privateKeyFile,
        TOKEN_SECRET,
        DATA_DIR: path.join(key.dir, 'data'),
        // Required with DATABASE_URL; nothing listens there, and this test sends no mail.
        SMTP_URL: 'smtp://127.0.0.1:9',
        ...EVENTS,
      },
    });
    // The child claims the oldest event of each subject and sends them; the receiver holds both.
    const deadline = Date.now() + 20_000;
    while (held.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(held).toHaveLength(2);
    child.child.kill('SIGKILL');
    await child.stop(1_000);
    const inFlight = arrived.map((a) => a.id);
    holding = false;

    survivor = await startTestApp(db.url, { JWT_PRIVATE_KEY_FILE: key.privateKeyFile, TOKEN_SECRET, ...EVENTS }, { events: true });
    const until = Date.now() + 20_000;
    while (arrived.filter((a) => a.answered).length < 6 && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
    // The receiver answers before the sender records the delivery: let the pass under way finish.
    await survivor.events!.sender.drain();
    const delivered = arrived.filter((a) => a.answered);
    expect(new Set(delivered.map((a) => a.id)).size).toBe(6);
    expect(delivered).toHaveLength(6);
    for (const subject of subjects) {
      const order = delivered.filter((a) => a.subject === subject).map((a) => a.eventId);
      expect(order).toEqual([...order].sort((x, y) => x - y));
    }
    // The two in flight at the kill came again, with the same ids.
    expect(delivered.map((a) => a.id)).toEqual(expect.arrayContaining(inFlight));
    const rows = await t.dataSource.query(`SELECT status, count(*)::int AS n FROM auth.event_deliveries GROUP BY status`);
    expect(rows).toEqual([{ status: 'delivered', n: 6 }]);
  });
});
