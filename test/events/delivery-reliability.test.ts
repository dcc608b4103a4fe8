import { randomUUID } from 'node:crypto';
import { recordSecurityEvent } from '../../src/auth/events/record';
import { sealingKeys } from '../../src/auth/events/secrets';
import { createWebhook, replayWebhook } from '../../src/auth/events/webhooks';
import { startTestApp, type TestApp } from '../support/app';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { startReceiver, type Receiver } from '../support/receiver';

/**
 * Delivery guarantees of the outbox (issue 29) against real receivers on loopback: a receiver that
 * is down for a while gets every event afterwards, each once, in order per subject; two instances
 * sharing the database deliver each event once between them.
 */
const ENV = { EVENTS_ALLOWED_NETWORKS: '127.0.0.1/32', EVENTS_RETRY_BASE_MS: '50', EVENTS_RETRY_MAX_MS: '200', EVENTS_POLL_INTERVAL_MS: '100' };

interface Message {
  id: string;
  type: string;
  eventId: number;
  subject: string;
}
const messages = (receiver: Receiver): Message[] =>
  receiver.requests.map((r) => {
    const body = JSON.parse(r.body) as { type: string; data: { event_id: string; user_id: string } };
    return { id: r.headers['webhook-id'] as string, type: body.type, eventId: Number(body.data.event_id), subject: body.data.user_id };
  });

/** Records `perSubject` factor.added events for each subject, interleaved, each its own transaction. */
async function recordMany(t: TestApp, subjects: string[], perSubject: number): Promise<void> {
  for (let i = 0; i < perSubject; i++) {
    await Promise.all(subjects.map((user) => recordSecurityEvent(t.dataSource, { type: 'factor.added', subject: { user }, data: { factor_id: `f${i}`, factor_type: 'totp' } })));
  }
}

function expectOnceInOrder(received: Message[], subjects: string[], perSubject: number): void {
  const ids = received.map((m) => m.id);
  expect(new Set(ids).size).toBe(ids.length);
  expect(ids).toHaveLength(subjects.length * perSubject);
  for (const subject of subjects) {
    const mine = received.filter((m) => m.subject === subject).map((m) => m.eventId);
    expect(mine).toHaveLength(perSubject);
    expect(mine).toEqual([...mine].sort((a, b) => a - b));
  }
}

describe('event delivery: outages, retries and several instances', () => {
  let db: TestDatabase;
  let a: TestApp;
  let b: TestApp;

  beforeAll(async () => {
    db = await createTestDatabase();
    a = await startTestApp(db.url, ENV, { events: true });
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await db?.drop();
  });

  const deps = () => ({ policy: a.config.events, sealing: sealingKeys(a.authKeys.tokenSecret, a.authKeys.previousTokenSecrets) });
  const users = async (n: number) => {
    const ids = Array.from({ length: n }, () => randomUUID());
    for (const id of ids) await a.dataSource.query(`INSERT INTO auth.users (id, email, password_hash) VALUES ($1, $2, 'x')`, [id, `${id}@cathouse.example`]);
    return ids;
  };

  it('a receiver down for a while gets every event afterwards, once, in order per subject', async () => {
    let up = false;
    let refused = 0;
    const receiver = await startReceiver({
      status: () => {
        if (up) return 204;
        refused += 1;
        return 503;
      },
    });
    try {
      const { webhook } = await createWebhook(a.dataSource, deps(), { url: receiver.url, eventTypes: ['factor.added'] });
      const subjects = await users(3);
      await recordMany(a, subjects, 5);
      // Tries fail and are retried with backoff; only the oldest event of each subject is tried.
      const deadline = Date.now() + 10_000;
      while (refused < 9 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      expect(refused).toBeGreaterThanOrEqual(9);
      expect(receiver.requests).toHaveLength(0);
      const [{ attempts }] = await a.dataSource.query(`SELECT max(attempts)::int AS attempts FROM auth.event_deliveries WHERE subscription_id = $1`, [webhook.id]);
      expect(attempts).toBeGreaterThanOrEqual(3);

      up = true;
      await receiver.waitFor(15);
      await a.events!.sender.drain();
      expectOnceInOrder(messages(receiver), subjects, 5);
      const rows = await a.dataSource.query(`SELECT status, count(*)::int AS n FROM auth.event_deliveries WHERE subscription_id = $1 GROUP BY status`, [webhook.id]);
      expect(rows).toEqual([{ status: 'delivered', n: 15 }]);
    } finally {
      await receiver.close();
    }
  });

  it('a delivery failing EVENTS_MAX_ATTEMPTS times becomes a dead letter; replay sends it again', async () => {
    let up = false;
    const receiver = await startReceiver({ status: () => (up ? 204 : 500) });
    // Its own database: the other instances' senders (15 tries) would share its deliveries.
    const own = await createTestDatabase();
    const local = await startTestApp(own.url, { ...ENV, EVENTS_MAX_ATTEMPTS: '2' }, { events: true });
    try {
      const { webhook } = await createWebhook(local.dataSource, deps(), { url: receiver.url, eventTypes: ['pat.revoked'] });
      const user = randomUUID();
      await local.dataSource.query(`INSERT INTO auth.users (id, email, password_hash) VALUES ($1, $2, 'x')`, [user, `${user}@cathouse.example`]);
      const before = new Date(Date.now() - 1_000);
      await recordSecurityEvent(local.dataSource, { type: 'pat.revoked', subject: { user: user! }, data: { token_id: 't1' } });
      let dead: { status: string; attempts: number; last_error: string }[] = [];
      const deadline = Date.now() + 10_000;
      while (dead.length === 0 && Date.now() < deadline) {
        dead = await local.dataSource.query(`SELECT status, attempts, last_error FROM auth.event_deliveries WHERE subscription_id = $1 AND status = 'dead'`, [webhook.id]);
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(dead).toEqual([{ status: 'dead', attempts: 2, last_error: expect.stringMatching(/answered 500/) }]);
      up = true;
      expect(await replayWebhook(local.dataSource, webhook.id, before, new Date(Date.now() + 1_000))).toBe(1);
      local.events!.sender.nudge();
      const [message] = await receiver.waitFor(1);
      expect(JSON.parse(message!.body)).toMatchObject({ type: 'pat.revoked', data: { token_id: 't1', user_id: user } });
      // The dead letter counted for the alert (event_deliveries status dead) is now delivered.
      await local.events!.sender.drain();
    } finally {
      await local.close();
      await own.drop();
      await receiver.close();
    }
  });

  it('two instances on one database deliver each event once between them', async () => {
    b = await startTestApp(db.url, ENV, { events: true });
    const receiver = await startReceiver({ status: () => 204 });
    try {
      await createWebhook(a.dataSource, deps(), { url: receiver.url, eventTypes: ['factor.removed'] });
      const subjects = await users(8);
      for (let i = 0; i < 5; i++) {
        const recorder = i % 2 === 0 ? a : b;
        await Promise.all(subjects.map((user) => recordSecurityEvent(recorder.dataSource, { type: 'factor.removed', subject: { user }, data: { factor_id: `f${i}`, factor_type: 'passkey' } })));
      }
      await receiver.waitFor(40);
      await Promise.all([a.events!.sender.drain(), b.events!.sender.drain()]);
      // Time for a duplicate, if any, to arrive.
      await new Promise((r) => setTimeout(r, 300));
      expectOnceInOrder(messages(receiver), subjects, 5);
    } finally {
      await receiver.close();
    }
  });
});
