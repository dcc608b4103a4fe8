import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import path from 'node:path';
import request from 'supertest';
import { signSet } from '../../src/auth/events/ssf/set-signing';
import { useTestApp } from '../support/app';
import { createStream, listen, receiverClient, SSF, until } from '../support/ssf';
import { bearer, register, uniqueEmail } from '../auth/helpers';

/**
 * The documented Python receiver (docs/examples/ssf_receiver.py), run as it is with Debian's
 * /usr/bin/python3 and python3-jwt: it receives pushed SETs (or long-polls for them), verifies them
 * with PyJWT and refuses a revoked session's still-unexpired access token; a SET for another
 * audience, an access token or an unsigned token is answered 400 (RFC 8935 §2.3).
 */
const SCRIPT = path.resolve(__dirname, '../../docs/examples/ssf_receiver.py');

interface PythonReceiver {
  url: string;
  printed: Record<string, unknown>[];
  stderr(): string;
  stop(): void;
}

/** Runs the example as a service would: its own process, settings from the environment, its port on stdout. */
async function startPython(env: Record<string, string>): Promise<PythonReceiver> {
  const python: ChildProcessWithoutNullStreams = spawn('/usr/bin/python3', [SCRIPT], { env: { PATH: process.env.PATH ?? '/usr/bin', PORT: '0', ...env } });
  const printed: Record<string, unknown>[] = [];
  let stderr = '';
  python.stderr.on('data', (d) => (stderr += d));
  let buffered = '';
  const port = await new Promise<number>((resolve, reject) => {
    python.once('exit', (code) => reject(new Error(`the receiver exited with ${code}: ${stderr}`)));
    python.stdout.on('data', (d) => {
      buffered += d;
      let newline;
      while ((newline = buffered.indexOf('\n')) >= 0) {
        const line = JSON.parse(buffered.slice(0, newline)) as Record<string, unknown>;
        buffered = buffered.slice(newline + 1);
        if (typeof line.listening === 'number') resolve(line.listening);
        else printed.push(line);
      }
    });
  });
  return { url: `http://127.0.0.1:${port}`, printed, stderr: () => stderr, stop: () => python.kill('SIGTERM') };
}

describe('Shared Signals: the documented Python receiver (PyJWT) refuses revoked tokens', () => {
  const t = useTestApp({ EVENTS_ALLOWED_NETWORKS: '127.0.0.1/32', EVENTS_RETRY_BASE_MS: '50', SSF_POLL_MAX_WAIT_MS: '2000' }, { events: true });
  let auth: Awaited<ReturnType<typeof listen>>;
  let pushed: PythonReceiver;
  let url: string;
  const running: PythonReceiver[] = [];
  const settings = () => ({
    CATHOUSE_AUTH_URL: auth.url,
    CATHOUSE_ISSUER: t.config.auth.issuer,
    CATHOUSE_AUDIENCE: t.config.auth.audience,
    CATHOUSE_SSF_ISSUER: t.config.events.ssfIssuer,
  });

  beforeAll(async () => {
    auth = await listen(t.app);
    pushed = await startPython({ ...settings(), CATHOUSE_SSF_AUDIENCE: 'python-billing' });
    running.push(pushed);
    url = pushed.url;
  });
  afterAll(async () => {
    for (const r of running) r.stop();
    await auth?.close();
  });

  it('a pushed session-revoked SET makes it refuse that session\'s token; the user\'s other session still passes', async () => {
    const client = await receiverClient(t, 'python-billing');
    await createStream(t, await client.token(), { delivery: { method: 'urn:ietf:rfc:8935', endpoint_url: `${url}/ssf/events` } });
    const email = uniqueEmail('py');
    const first = await register(t.app, email);
    const second = (await request(t.app).post('/api/v1/auth/login').send({ email, password: 'correct horse battery staple' }).expect(200)).body.access_token as string;
    await request(url).get('/whoami').set(bearer(first.access_token)).expect(200).expect((res) => expect(res.body).toMatchObject({ sub: first.user.id, sid: expect.any(String) }));

    await request(t.app).post('/api/v1/auth/logout').set(bearer(first.access_token)).expect(204);
    const ms = await until(async () => (await request(url).get('/whoami').set(bearer(first.access_token))).status === 401);
    expect(ms).toBeLessThan(5_000);
    expect((await request(url).get('/whoami').set(bearer(first.access_token))).body).toMatchObject({ detail: 'the access token has been revoked' });
    await request(url).get('/whoami').set(bearer(second)).expect(200);
    expect(pushed.printed).toContainEqual({ applied: 'session', jti: expect.stringMatching(/^set_\d+$/) });
    expect(pushed.stderr()).toBe('');
  });

  it('refuses a SET that is not for it or not a SET, with RFC 8935 error objects', async () => {
    const user = await register(t.app, uniqueEmail('py-bad'));
    // An access token is signed by the same keys, but is no SET (typ at+jwt).
    const notSet = await request(url).post('/ssf/events').set('content-type', 'application/secevent+jwt').send(user.access_token);
    expect(notSet.status).toBe(400);
    expect(notSet.body).toMatchObject({ err: 'invalid_request', description: expect.stringMatching(/typ/) });
    const forged = await request(url).post('/ssf/events').set('content-type', 'application/secevent+jwt').send('eyJhbGciOiJub25lIiwidHlwIjoic2VjZXZlbnQrand0In0.eyJpc3MiOiJ4In0.');
    expect(forged.status).toBe(400);
    // Signed by the auth service, but for another receiver: refused, and nothing is revoked.
    const claims = { iss: t.config.events.ssfIssuer, jti: 'set_1', iat: Math.floor(Date.now() / 1000), aud: 'someone-else', sub_id: { format: 'iss_sub', iss: t.config.auth.issuer, sub: user.user.id }, events: { 'https://schemas.openid.net/secevent/risc/event-type/account-disabled': {} } };
    const elsewhere = await request(url).post('/ssf/events').set('content-type', 'application/secevent+jwt').send(signSet(t.authKeys.signingKeys, claims));
    expect(elsewhere.status).toBe(400);
    expect(elsewhere.body.description).toMatch(/audience/i);
    await request(url).get('/whoami').set(bearer(user.access_token)).expect(200);
    const mine = await request(url).post('/ssf/events').set('content-type', 'application/secevent+jwt').send(signSet(t.authKeys.signingKeys, { ...claims, aud: 'python-billing' }));
    expect(mine.status).toBe(202);
    await request(url).get('/whoami').set(bearer(user.access_token)).expect(401);
  });

  it('polling (RFC 8936) instead of push: the revocation arrives by long poll and is acknowledged', async () => {
    const client = await receiverClient(t, 'python-poller');
    const stream = await createStream(t, await client.token(), {});
    const poller = await startPython({
      ...settings(),
      CATHOUSE_SSF_AUDIENCE: 'python-poller',
      CATHOUSE_SSF_POLL_URL: `${auth.url}${SSF}/poll/${stream.stream_id}`,
      CATHOUSE_CLIENT_SECRET: client.clientSecret,
    });
    running.push(poller);
    const user = await register(t.app, uniqueEmail('py-poll'));
    await request(poller.url).get('/whoami').set(bearer(user.access_token)).expect(200);
    await request(t.app).post('/api/v1/auth/logout').set(bearer(user.access_token)).expect(204);
    await until(async () => (await request(poller.url).get('/whoami').set(bearer(user.access_token))).status === 401);
    await until(async () => {
      const [row] = await t.dataSource.query(`SELECT count(*)::int AS n FROM auth.event_deliveries WHERE subscription_id = $1 AND status = 'pending'`, [stream.stream_id]);
      return row.n === 0;
    });
    expect(poller.printed).toContainEqual({ applied: 'session', jti: expect.stringMatching(/^set_\d+$/) });
    expect(poller.stderr()).toBe('');
  });
});
