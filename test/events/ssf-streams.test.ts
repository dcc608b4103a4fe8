import { createPublicKey } from 'node:crypto';
import jwt from 'jsonwebtoken';
import request from 'supertest';
import { revokeServiceClient } from '../../src/auth/tokens/service-clients';
import { serviceClient } from '../auth/installations';
import { useTestApp } from '../support/app';
import { createStream, receiverClient, SSF } from '../support/ssf';
import { bearer, register, uniqueEmail } from '../auth/helpers';

/**
 * The Shared Signals transmitter (SSF 1.0) over real HTTP: metadata, who may manage streams,
 * stream configuration and status, subjects, verification, and RFC 8936 polling with ack and
 * setErrs; the SETs themselves (RFC 8417 as SSF profiles them) are checked claim by claim.
 */
const CAEP = 'https://schemas.openid.net/secevent/caep/event-type/';
const VERIFICATION = 'https://schemas.openid.net/secevent/ssf/event-type/verification';

describe('Shared Signals transmitter: metadata, streams, subjects, verification, polling', () => {
  const t = useTestApp({ EVENTS_ALLOWED_NETWORKS: '127.0.0.1/32' }, { events: true });
  let token: string;
  const auth = () => bearer(token);

  beforeAll(async () => {
    token = await (await receiverClient(t, 'ssf-receiver')).token();
  });

  /** Polls the stream at once; acknowledges what it is given unless `ack` is false. */
  async function poll(streamId: string, body: Record<string, unknown> = {}): Promise<Record<string, string>> {
    const res = await request(t.app).post(`${SSF}/poll/${streamId}`).set(auth()).send({ returnImmediately: true, ...body }).expect(200);
    return res.body.sets as Record<string, string>;
  }
  const claimsOf = (set: string) => {
    const { header, payload } = jwt.decode(set, { complete: true }) as jwt.Jwt;
    const key = t.authKeys.signingKeys.current;
    jwt.verify(set, createPublicKey(key.privateKey), { algorithms: ['ES256'] });
    return { header, payload: payload as Record<string, unknown> & { events: Record<string, Record<string, unknown>>; sub_id: Record<string, unknown> } };
  };

  it('serves the transmitter metadata at /.well-known/ssf-configuration', async () => {
    const res = await request(t.app).get('/.well-known/ssf-configuration').expect(200);
    const base = `${t.config.events.ssfIssuer}${SSF}`;
    expect(res.body).toEqual({
      spec_version: '1_0',
      issuer: t.config.events.ssfIssuer,
      jwks_uri: `${t.config.events.ssfIssuer}/.well-known/jwks.json`,
      delivery_methods_supported: ['urn:ietf:rfc:8935', 'urn:ietf:rfc:8936'],
      configuration_endpoint: `${base}/stream`,
      status_endpoint: `${base}/status`,
      add_subject_endpoint: `${base}/subjects:add`,
      remove_subject_endpoint: `${base}/subjects:remove`,
      verification_endpoint: `${base}/verify`,
      authorization_schemes: [{ spec_urn: 'urn:ietf:rfc:6749' }],
      default_subjects: 'ALL',
    });
  });

  it('only service clients with ssf.manage (or ssf.read for reads) manage streams; a revoked client is refused at once', async () => {
    await request(t.app).get(`${SSF}/stream`).expect(401);
    const user = await register(t.app, uniqueEmail('ssf-user'));
    await request(t.app).get(`${SSF}/stream`).set(bearer(user.access_token)).expect(401);
    const { clientSecret } = await serviceClient(t.dataSource, 'no-ssf', ['users:read']);
    const other = (await request(t.app).post('/api/v1/auth/token').auth('no-ssf', clientSecret).type('form').send({ grant_type: 'client_credentials' })).body.access_token as string;
    const refused = await request(t.app).post(`${SSF}/stream`).set(bearer(other)).send({}).expect(403);
    expect(refused.body.error).toBe('insufficient_scope');
    expect(refused.headers['www-authenticate']).toBe('Bearer error="insufficient_scope", scope="ssf.manage"');

    const gone = await receiverClient(t, 'ssf-gone');
    const goneToken = await gone.token();
    await request(t.app).get(`${SSF}/stream`).set(bearer(goneToken)).expect(200, []);
    await revokeServiceClient(t.dataSource, 'ssf-gone');
    expect((await request(t.app).get(`${SSF}/stream`).set(bearer(goneToken)).expect(401)).body.error).toBe('invalid_token');
  });

  it('streams: create (poll by default), read, update, replace, delete; each receiver sees only its own', async () => {
    const stream = await createStream(t, token, { description: 'billing' });
    expect(stream).toMatchObject({
      iss: t.config.events.ssfIssuer,
      aud: 'ssf-receiver',
      delivery: { method: 'urn:ietf:rfc:8936', endpoint_url: `${t.config.events.ssfIssuer}${SSF}/poll/${stream.stream_id}` },
      events_requested: expect.arrayContaining([`${CAEP}session-revoked`]),
      description: 'billing',
    });
    await request(t.app).get(`${SSF}/stream`).query({ stream_id: stream.stream_id }).set(auth()).expect(200, stream);
    const patched = await request(t.app).patch(`${SSF}/stream`).set(auth()).send({ stream_id: stream.stream_id, events_requested: [`${CAEP}session-revoked`] }).expect(200);
    expect(patched.body).toMatchObject({ description: 'billing', events_requested: [`${CAEP}session-revoked`], events_delivered: [`${CAEP}session-revoked`] });
    const replaced = await request(t.app).put(`${SSF}/stream`).set(auth()).send({ stream_id: stream.stream_id, events_requested: [`${CAEP}credential-change`] }).expect(200);
    expect(replaced.body.description).toBeUndefined();

    const stranger = await (await receiverClient(t, 'ssf-stranger')).token();
    await request(t.app).get(`${SSF}/stream`).query({ stream_id: stream.stream_id }).set(bearer(stranger)).expect(404);
    await request(t.app).delete(`${SSF}/stream`).query({ stream_id: stream.stream_id }).set(bearer(stranger)).expect(404);

    await request(t.app).delete(`${SSF}/stream`).query({ stream_id: stream.stream_id }).set(auth()).expect(204);
    await request(t.app).get(`${SSF}/stream`).query({ stream_id: stream.stream_id }).set(auth()).expect(404);
  });

  it('refuses bad stream requests with 400 and the field: method, push URL, a Transmitter-Supplied property', async () => {
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ delivery: { method: 'urn:example:carrier-pigeon' } }, /delivery\.method/],
      [{ delivery: { method: 'urn:ietf:rfc:8935' } }, /endpoint_url/],
      [{ delivery: { method: 'urn:ietf:rfc:8935', endpoint_url: 'http://169.254.169.254/latest' } }, /url/],
      [{ iss: 'https://someone.else.example' }, /iss/],
    ];
    for (const [body, detail] of cases) {
      const res = await request(t.app).post(`${SSF}/stream`).set(auth()).send(body).expect(400);
      expect(res.body).toMatchObject({ error: 'invalid_request', detail: expect.stringMatching(detail) });
    }
    expect((await request(t.app).post(`${SSF}/stream`).set(auth()).type('json').send('[1]').expect(400)).body.error).toBe('invalid_request');
    expect((await request(t.app).post(`${SSF}/status`).set(auth()).send({ stream_id: 'nope', status: 'paused' }).expect(404)).body.error).toBe('not_found');
  });

  it('a session-revoked SET: typed, signed, for this receiver, no sub or exp, the session as a complex subject; ack and setErrs', async () => {
    const stream = await createStream(t, token, {});
    const user = await register(t.app, uniqueEmail('set'));
    const sid = (jwt.decode(user.access_token) as { sid: string }).sid;
    await request(t.app).post('/api/v1/auth/logout').set(bearer(user.access_token)).expect(204);
    const sets = await poll(stream.stream_id);
    const [[jti, set]] = Object.entries(sets) as [[string, string]];
    const { header, payload } = claimsOf(set);
    expect(header).toEqual({ alg: 'ES256', typ: 'secevent+jwt', kid: t.authKeys.signingKeys.current.kid });
    expect(payload).toEqual({
      iss: t.config.events.ssfIssuer,
      jti,
      iat: expect.any(Number),
      aud: 'ssf-receiver',
      txn: expect.any(String),
      sub_id: { format: 'complex', user: { format: 'iss_sub', iss: t.config.auth.issuer, sub: user.user.id }, session: { format: 'opaque', id: sid } },
      events: { [`${CAEP}session-revoked`]: { event_timestamp: expect.any(Number), initiating_entity: 'user', reason_admin: { en: 'The user signed out' } } },
    });
    // Not acknowledged: returned again, with the same jti. Acknowledged: gone.
    expect(Object.keys(await poll(stream.stream_id))).toEqual([jti]);
    expect(await poll(stream.stream_id, { ack: [jti] })).toEqual({});

    // setErrs: the receiver refused it; it becomes a dead letter with the receiver's reason.
    const other = await register(t.app, uniqueEmail('set-err'));
    await request(t.app).post('/api/v1/auth/logout').set(bearer(other.access_token)).expect(204);
    const [refused] = Object.keys(await poll(stream.stream_id));
    expect(await poll(stream.stream_id, { setErrs: { [refused!]: { err: 'invalid_audience', description: 'not mine' } } })).toEqual({});
    const [row] = await t.dataSource.query(`SELECT status, last_error FROM auth.event_deliveries WHERE id = $1`, [refused!.slice(4)]);
    expect(row).toEqual({ status: 'dead', last_error: 'the receiver refused it: invalid_audience: not mine' });
    await request(t.app).post(`${SSF}/poll/${stream.stream_id}`).set(auth()).send({ maxEvents: -1 }).expect(400);
  });

  it('status: paused holds events and sends them when enabled again; disabled drops them', async () => {
    const stream = await createStream(t, token, {});
    const paused = await request(t.app).post(`${SSF}/status`).set(auth()).send({ stream_id: stream.stream_id, status: 'paused', reason: 'maintenance' }).expect(200);
    expect(paused.body).toEqual({ stream_id: stream.stream_id, status: 'paused', reason: 'maintenance' });
    const user = await register(t.app, uniqueEmail('paused'));
    await request(t.app).post('/api/v1/auth/logout').set(bearer(user.access_token)).expect(204);
    expect(await poll(stream.stream_id)).toEqual({});
    await request(t.app).post(`${SSF}/status`).set(auth()).send({ stream_id: stream.stream_id, status: 'enabled' }).expect(200);
    expect(Object.keys(await poll(stream.stream_id))).toHaveLength(1);

    await request(t.app).post(`${SSF}/status`).set(auth()).send({ stream_id: stream.stream_id, status: 'disabled' }).expect(200);
    const later = await register(t.app, uniqueEmail('disabled'));
    await request(t.app).post('/api/v1/auth/logout').set(bearer(later.access_token)).expect(204);
    await request(t.app).post(`${SSF}/status`).set(auth()).send({ stream_id: stream.stream_id, status: 'enabled' }).expect(200);
    expect(await poll(stream.stream_id)).toEqual({});
    await request(t.app).get(`${SSF}/status`).query({ stream_id: stream.stream_id }).set(auth()).expect(200, { stream_id: stream.stream_id, status: 'enabled' });
    await request(t.app).post(`${SSF}/status`).set(auth()).send({ stream_id: stream.stream_id, status: 'sleepy' }).expect(400);
  });

  it('verification: a verification SET carrying the state; asked again too soon is 429', async () => {
    const stream = await createStream(t, token, {});
    await request(t.app).post(`${SSF}/verify`).set(auth()).send({ stream_id: stream.stream_id, state: 'abc123' }).expect(204);
    const [set] = Object.values(await poll(stream.stream_id));
    expect(claimsOf(set!).payload).toMatchObject({ sub_id: { format: 'opaque', id: stream.stream_id }, events: { [VERIFICATION]: { state: 'abc123' } } });
    const again = await request(t.app).post(`${SSF}/verify`).set(auth()).send({ stream_id: stream.stream_id }).expect(429);
    expect(again.headers['retry-after']).toBe('10');
  });

  it('subjects: a removed user\'s events are not sent until added back; an unknown subject is accepted; email subjects', async () => {
    const stream = await createStream(t, token, { subject_format: 'email' });
    const email = uniqueEmail('subject');
    const user = await register(t.app, email);
    await request(t.app).post(`${SSF}/subjects:remove`).set(auth()).send({ stream_id: stream.stream_id, subject: { format: 'email', email } }).expect(204);
    await request(t.app).post(`${SSF}/subjects:remove`).set(auth()).send({ stream_id: stream.stream_id, subject: { format: 'email', email: 'nobody@cathouse.example' } }).expect(204);
    await request(t.app).post(`${SSF}/subjects:add`).set(auth()).send({ stream_id: stream.stream_id, subject: { format: 'phone_number' } }).expect(400);
    await request(t.app).post('/api/v1/auth/logout').set(bearer(user.access_token)).expect(204);
    expect(await poll(stream.stream_id)).toEqual({});

    await request(t.app).post(`${SSF}/subjects:add`).set(auth()).send({ stream_id: stream.stream_id, subject: { format: 'iss_sub', iss: t.config.auth.issuer, sub: user.user.id } }).expect(200);
    const again = (await request(t.app).post('/api/v1/auth/login').send({ email, password: 'correct horse battery staple' })).body.access_token as string;
    await request(t.app).post('/api/v1/auth/logout').set(bearer(again)).expect(204);
    const [set] = Object.values(await poll(stream.stream_id));
    expect(claimsOf(set!).payload.sub_id).toMatchObject({ format: 'complex', user: { format: 'email', email } });
  });
});
