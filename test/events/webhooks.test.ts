import request from 'supertest';
import { Webhook } from 'standardwebhooks';
import { sealingKeys } from '../../src/auth/events/secrets';
import { signWebhook } from '../../src/auth/events/webhook-signature';
import { createWebhook, deleteWebhook, rotateWebhookSecret, type WebhookDeps } from '../../src/auth/events/webhooks';
import { useTestApp } from '../support/app';
import { startReceiver, type Receiver } from '../support/receiver';
import { bearer, register, uniqueEmail } from '../auth/helpers';

/**
 * Webhooks signed the Standard Webhooks way, checked with the reference implementation
 * (the `standardwebhooks` package): a logout reaches a real HTTP receiver on loopback, signed;
 * a wrong secret and an old timestamp are refused; a rotated secret signs beside the old one for
 * the grace period only.
 */
describe('webhooks: Standard Webhooks signatures verified by the reference implementation', () => {
  // Loopback receivers need an explicit allowance: without it, 127.0.0.1 is refused (see the URL tests).
  const t = useTestApp({ EVENTS_ALLOWED_NETWORKS: '127.0.0.1/32', EVENTS_RETRY_BASE_MS: '50' }, { events: true });
  let receiver: Receiver;
  let deps: WebhookDeps;

  beforeAll(async () => {
    receiver = await startReceiver({ status: () => 204 });
    deps = { policy: t.config.events, sealing: sealingKeys(t.authKeys.tokenSecret, t.authKeys.previousTokenSecrets) };
  });
  afterAll(() => receiver.close());

  it('a logout reaches the receiver as session.revoked, and the signature verifies with the secret', async () => {
    const { webhook, secret } = await createWebhook(t.dataSource, deps, { url: `${receiver.url}/hooks`, eventTypes: ['session.revoked'] });
    try {
      const user = await register(t.app, uniqueEmail('hook'));
      const before = receiver.requests.length;
      await request(t.app).post('/api/v1/auth/logout').set(bearer(user.access_token)).expect(204);
      const [message] = (await receiver.waitFor(before + 1)).slice(before);
      const payload = new Webhook(secret).verify(message!.body, message!.headers as Record<string, string>) as { type: string; data: Record<string, unknown> };
      expect(payload).toMatchObject({ type: 'session.revoked', data: { user_id: user.user.id, reason: 'logout', initiated_by: 'user' } });
      expect(payload.data.session_id).toEqual(expect.any(String));
      expect(message!.headers['webhook-id']).toBe(`evt_${payload.data.event_id}`);
      expect(message!.path).toBe('/hooks');

      // The same message with another secret, or re-signed an hour ago, is refused.
      expect(() => new Webhook(`whsec_${Buffer.alloc(32, 7).toString('base64')}`).verify(message!.body, message!.headers as Record<string, string>)).toThrow(/signature/i);
      const old = Math.floor(Date.now() / 1000) - 3_600;
      const id = message!.headers['webhook-id'] as string;
      const stale = { 'webhook-id': id, 'webhook-timestamp': String(old), 'webhook-signature': signWebhook([secret], id, old, message!.body) };
      expect(() => new Webhook(secret).verify(message!.body, stale)).toThrow(/timestamp/i);
    } finally {
      await deleteWebhook(t.dataSource, webhook.id);
    }
  });

  it('after a rotation both secrets verify during the grace period, and only the new one after a rotation without grace', async () => {
    const { webhook, secret: first } = await createWebhook(t.dataSource, deps, { url: receiver.url, eventTypes: ['session.revoked'] });
    try {
      const { secret: second } = await rotateWebhookSecret(t.dataSource, deps, webhook.id, 3_600);
      const user = await register(t.app, uniqueEmail('rotate'));
      let before = receiver.requests.length;
      await request(t.app).post('/api/v1/auth/logout').set(bearer(user.access_token)).expect(204);
      let [message] = (await receiver.waitFor(before + 1)).slice(before);
      expect((message!.headers['webhook-signature'] as string).split(' ')).toHaveLength(2);
      for (const secret of [first, second]) expect(() => new Webhook(secret).verify(message!.body, message!.headers as Record<string, string>)).not.toThrow();

      const { secret: third } = await rotateWebhookSecret(t.dataSource, deps, webhook.id, 0);
      const other = await register(t.app, uniqueEmail('rotate'));
      before = receiver.requests.length;
      await request(t.app).post('/api/v1/auth/logout').set(bearer(other.access_token)).expect(204);
      [message] = (await receiver.waitFor(before + 1)).slice(before);
      expect(() => new Webhook(third).verify(message!.body, message!.headers as Record<string, string>)).not.toThrow();
      expect(() => new Webhook(second).verify(message!.body, message!.headers as Record<string, string>)).toThrow(/signature/i);
    } finally {
      await deleteWebhook(t.dataSource, webhook.id);
    }
  });

  it('receiver URLs: private, link-local and metadata addresses are refused unless allowed; https when required', async () => {
    const strict: WebhookDeps = { ...deps, policy: { requireHttps: false, allowedNetworks: [] } };
    for (const url of ['http://169.254.169.254/latest/meta-data', 'http://127.0.0.1:9/x', 'http://10.1.2.3/', 'http://[::1]/', 'http://[fd00:ec2::254]/', 'http://localhost/']) {
      await expect(createWebhook(t.dataSource, strict, { url, eventTypes: ['session.revoked'] })).rejects.toMatchObject({ code: 'invalid_request' });
    }
    const production: WebhookDeps = { ...deps, policy: { requireHttps: true, allowedNetworks: ['127.0.0.1/32'] } };
    await expect(createWebhook(t.dataSource, production, { url: receiver.url, eventTypes: ['session.revoked'] })).rejects.toThrow(/https/);
    await expect(createWebhook(t.dataSource, deps, { url: 'http://user:pw@127.0.0.1/', eventTypes: ['session.revoked'] })).rejects.toThrow(/credentials/);
    await expect(createWebhook(t.dataSource, deps, { url: receiver.url, eventTypes: ['session.nope'] })).rejects.toThrow(/unknown/);
  });
});
