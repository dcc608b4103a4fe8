import request from 'supertest';
import { ACCESS_TOKEN_TYPE_URN, TOKEN_EXCHANGE_GRANT } from '../../src/auth/tokens/token-exchange';
import { useTestApp } from '../support/app';
import { register, uniqueEmail } from './helpers';
import { serviceClient } from './installations';

const API = '/api/v1/auth';
const PASSWORD = 'correct horse battery staple';
const basic = (id: string, secret: string) => ({ Authorization: `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}` });

/**
 * Issue 22 M7 and L7: refusals a client can repeat as fast as it likes leave a trace, once per
 * subject and client address per AUDIT_REPEAT_WINDOW_SECONDS, so they neither go unrecorded nor
 * bury the account's real history.
 */
describe('refusals a client can repeat: recorded once per subject and address per window', () => {
  const t = useTestApp({ TRUST_PROXY: '1', LOGIN_MAX_FAILURES_PER_ACCOUNT: '2', CLIENT_AUTH_MAX_FAILURES: '1000', AUDIT_REPEAT_WINDOW_SECONDS: '600' });
  let ip = 0;
  const newIp = () => `198.51.100.${++ip}`;
  const events = (type: string, where = 'true', params: unknown[] = []) =>
    t.dataSource.query(`SELECT user_id, host(ip) AS ip, detail FROM auth.audit_events WHERE type = $1 AND ${where} ORDER BY id`, [type, ...params]) as Promise<
      { user_id: string | null; ip: string; detail: Record<string, unknown> }[]
    >;

  it('M7: a throttled login is recorded once per (account, address) per window, however often it is retried', async () => {
    const email = uniqueEmail('throttled');
    const user = await register(t.app, email);
    const [a, b] = [newIp(), newIp()];
    const login = (from: string, password = 'wrong password') => request(t.app).post(`${API}/login`).set('X-Forwarded-For', from).send({ email, password });
    for (let i = 0; i < 2; i++) expect((await login(a)).status).toBe(401);
    for (let i = 0; i < 30; i++) expect((await login(a, i % 2 ? PASSWORD : 'wrong password')).status).toBe(429);
    for (let i = 0; i < 2; i++) expect((await login(b)).status).toBe(401);
    for (let i = 0; i < 5; i++) expect((await login(b)).status).toBe(429);
    const throttled = await events('login_throttled', 'user_id = $2', [user.user.id]);
    expect(throttled.map((e) => e.ip)).toEqual([a, b]);
  });

  it('L7: a wrong client secret is client_auth_failed, once per client and address (the id only if it names a client)', async () => {
    const { clientSecret } = await serviceClient(t.dataSource, 'refusal-proxy', ['installations:exchange']);
    const from = newIp();
    const token = (id: string, secret: string) =>
      request(t.app).post(`${API}/token`).set('X-Forwarded-For', from).set(basic(id, secret)).type('form').send({ grant_type: 'client_credentials' });
    for (let i = 0; i < 5; i++) expect((await token('refusal-proxy', 'not the secret')).status).toBe(401);
    for (let i = 0; i < 3; i++) expect((await token('no-such-client', clientSecret)).status).toBe(401);
    const failed = await events('client_auth_failed', 'host(ip) = $2', [from]);
    expect(failed.map((e) => e.detail)).toEqual([
      { client_id: 'refusal-proxy', known_client: true, method: 'client_secret_basic' },
      { client_id: null, known_client: false, method: 'client_secret_basic' },
    ]);
  });

  it('L7: a refused token exchange is token_exchange_refused with the error and the subject, once per window', async () => {
    const { clientSecret } = await serviceClient(t.dataSource, 'exchange-proxy', ['installations:exchange']);
    const user = await register(t.app, uniqueEmail('subject'));
    const from = newIp();
    for (let i = 0; i < 4; i++) {
      const res = await request(t.app)
        .post(`${API}/token`)
        .set('X-Forwarded-For', from)
        .set(basic('exchange-proxy', clientSecret))
        .type('form')
        .send({ grant_type: TOKEN_EXCHANGE_GRANT, subject_token: user.access_token, subject_token_type: ACCESS_TOKEN_TYPE_URN, installation_id: '00000000-0000-4000-8000-000000000000' });
      expect(res.body.error).toBe('invalid_target');
    }
    const refused = await events('token_exchange_refused', 'host(ip) = $2', [from]);
    expect(refused).toEqual([
      { user_id: user.user.id, ip: from, detail: { error: 'invalid_target', client_id: 'exchange-proxy', installation: '00000000-0000-4000-8000-000000000000' } },
    ]);
  });

  it('L7: a refused mail link is link_token_refused, with the account when the token was one, once per window', async () => {
    const from = newIp();
    const post = (path: string, body: object) => request(t.app).post(`${API}${path}`).set('X-Forwarded-For', from).send(body);
    for (let i = 0; i < 3; i++) expect((await post('/verify-email', { token: 'A'.repeat(43) })).body.error).toBe('link_invalid');
    for (let i = 0; i < 3; i++) expect((await post('/password/reset', { token: 'B'.repeat(43), password: 'a new passphrase' })).body.error).toBe('link_invalid');
    // A real token of an account, already spent: named by its account.
    const user = await register(t.app, uniqueEmail('link-owner'));
    // Its verification token, spent, given a hash the test knows the token of.
    await t.dataSource.query(`UPDATE auth.account_tokens SET used_at = now(), token_hash = sha256('spent-link-token-of-a-test-account-00000000'::bytea) WHERE user_id = $1`, [user.user.id]);
    for (let i = 0; i < 2; i++) expect((await post('/verify-email', { token: 'spent-link-token-of-a-test-account-00000000' })).body.error).toBe('link_invalid');
    const refused = await events('link_token_refused', 'host(ip) = $2', [from]);
    expect(refused.map((e) => [e.user_id, e.detail])).toEqual([
      [null, { page: 'verify_email', known_link: false }],
      [user.user.id, { page: 'verify_email', known_link: true }],
    ]);
  });
});
