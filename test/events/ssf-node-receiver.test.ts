import request from 'supertest';
import { useTestApp } from '../support/app';
import { createStream, listen, receiverClient, SSF, startNodeReceiver, until, type NodeReceiver } from '../support/ssf';
import { bearer, register, uniqueEmail } from '../auth/helpers';

/**
 * The vertical slice of issue 29 with a real Node receiver built on @cathouse/auth-client: a
 * session revoked at the auth service makes the receiver refuse that session's still-unexpired
 * access token, through a pushed stream (RFC 8935) and through a polled one (RFC 8936); the
 * user's other session keeps working; a deactivated user's tokens are refused.
 */
describe('Shared Signals: a Node receiver using @cathouse/auth-client refuses revoked tokens before they expire', () => {
  const t = useTestApp({ EVENTS_ALLOWED_NETWORKS: '127.0.0.1/32', EVENTS_RETRY_BASE_MS: '50', SSF_POLL_MAX_WAIT_MS: '2000' }, { events: true });
  let auth: Awaited<ReturnType<typeof listen>>;
  const receivers: NodeReceiver[] = [];

  beforeAll(async () => {
    auth = await listen(t.app);
  });
  afterAll(async () => {
    for (const r of receivers) await r.close();
    await auth.close();
  });

  const whoami = (r: NodeReceiver, token: string) => request(r.url).get('/whoami').set(bearer(token));

  async function pushReceiver(clientId: string): Promise<NodeReceiver> {
    const client = await receiverClient(t, clientId);
    const receiver = await startNodeReceiver(t, auth, { audience: clientId });
    receivers.push(receiver);
    const stream = await createStream(t, await client.token(), { delivery: { method: 'urn:ietf:rfc:8935', endpoint_url: `${receiver.url}/ssf/events` } });
    expect(stream.delivery).toEqual({ method: 'urn:ietf:rfc:8935', endpoint_url: `${receiver.url}/ssf/events` });
    return receiver;
  }

  it('push: logout of one session is refused at the receiver within the bound; the other session still passes', async () => {
    const receiver = await pushReceiver('catalog-push');
    const email = uniqueEmail('push');
    const first = await register(t.app, email);
    const second = (await request(t.app).post('/api/v1/auth/login').send({ email, password: 'correct horse battery staple' })).body as { access_token: string };
    await whoami(receiver, first.access_token).expect(200);
    await whoami(receiver, second.access_token).expect(200);

    await request(t.app).post('/api/v1/auth/logout').set(bearer(first.access_token)).expect(204);
    const ms = await until(async () => (await whoami(receiver, first.access_token)).status === 401);
    expect(ms).toBeLessThan(5_000);
    const refused = await whoami(receiver, first.access_token);
    expect(refused.body).toMatchObject({ error: 'invalid_token', detail: 'The access token has been revoked.' });
    await whoami(receiver, second.access_token).expect(200);
    expect(receiver.events.map((e) => Object.keys(e.events)[0])).toEqual(['https://schemas.openid.net/secevent/caep/event-type/session-revoked']);
  });

  it('push: a deactivated user\'s tokens are refused; a token issued after reactivation passes', async () => {
    const receiver = await pushReceiver('catalog-deactivate');
    const email = uniqueEmail('deact');
    const user = await register(t.app, email);
    await whoami(receiver, user.access_token).expect(200);
    const adminEmail = uniqueEmail('admin');
    const admin = await register(t.app, adminEmail);
    await t.dataSource.query(`UPDATE auth.users SET role = 'admin' WHERE id = $1`, [admin.user.id]);
    const adminToken = (await request(t.app).post('/api/v1/auth/login').send({ email: adminEmail, password: 'correct horse battery staple' })).body.access_token as string;

    await request(t.app).patch(`/api/v1/auth/users/${user.user.id}`).set(bearer(adminToken)).send({ is_active: false }).expect(200);
    await until(async () => (await whoami(receiver, user.access_token)).status === 401);
    await request(t.app).patch(`/api/v1/auth/users/${user.user.id}`).set(bearer(adminToken)).send({ is_active: true }).expect(200);
    // A sign-in a second later gets a token with a later iat: it passes.
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    const again = (await request(t.app).post('/api/v1/auth/login').send({ email, password: 'correct horse battery staple' }).expect(200)).body.access_token as string;
    await whoami(receiver, again).expect(200);
    await whoami(receiver, user.access_token).expect(401);
  });

  it('poll: the package\'s poller gets the revocation by long poll and acknowledges it', async () => {
    const client = await receiverClient(t, 'catalog-poll');
    const stream = await createStream(t, await client.token(), {});
    expect(stream.delivery).toEqual({ method: 'urn:ietf:rfc:8936', endpoint_url: `${t.config.events.ssfIssuer.replace(/\/$/, '')}${SSF}/poll/${stream.stream_id}` });
    // The stream advertises SSF_ISSUER's origin; this test's service listens elsewhere.
    const pollUrl = `${auth.url}${SSF}/poll/${stream.stream_id}`;
    const receiver = await startNodeReceiver(t, auth, { audience: client.clientId, pollUrl, token: client.token });
    receivers.push(receiver);

    const user = await register(t.app, uniqueEmail('poll'));
    await whoami(receiver, user.access_token).expect(200);
    await request(t.app).post('/api/v1/auth/logout').set(bearer(user.access_token)).expect(204);
    await until(async () => (await whoami(receiver, user.access_token)).status === 401);
    // Acknowledged by the next poll: nothing stays pending.
    await until(async () => {
      const [row] = await t.dataSource.query(`SELECT count(*)::int AS n FROM auth.event_deliveries WHERE subscription_id = $1 AND status = 'pending'`, [stream.stream_id]);
      return row.n === 0;
    });
  });
});
