import request from 'supertest';
import { bearer, register, uniqueEmail } from './auth/helpers';
import { useTestApp } from './support/app';

const TOKEN = 'metrics-token-0123456789';

/** The value of one sample line of the Prometheus text, or undefined when the series is absent. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('GET /metrics (Prometheus)', () => {
  const t = useTestApp({ METRICS_TOKEN: TOKEN, LOGIN_MAX_FAILURES_PER_ACCOUNT: '2', REFRESH_REUSE_INTERVAL_SECONDS: '0' });
  const scrape = async () => {
    const res = await request(t.app).get('/metrics');
    expect(res.status).toBe(200);
    return res.text;
  };

  it('answers internal callers and the token holder; anyone else gets the 404 of an unknown path', async () => {
    const internal = await request(t.app).get('/metrics');
    expect(internal.status).toBe(200);
    expect(internal.headers['content-type']).toContain('text/plain');
    // Through a proxy (X-Forwarded-For): only with the token.
    const proxied = await request(t.app).get('/metrics').set('X-Forwarded-For', '203.0.113.5');
    expect(proxied.status).toBe(404);
    expect(proxied.body.error).toBe('not_found');
    expect((await request(t.app).get('/metrics').set('X-Forwarded-For', '203.0.113.5').set(bearer('wrong-token-0123456789xx'))).status).toBe(404);
    expect((await request(t.app).get('/metrics').set('X-Forwarded-For', '203.0.113.5').set(bearer(TOKEN))).status).toBe(200);
    // Not under the public API prefix.
    expect((await request(t.app).get('/api/v1/auth/metrics')).status).toBe(404);
  });

  it('counts requests and latency per route pattern and status, errors included, and unmatched paths as one label', async () => {
    const user = await register(t.app, uniqueEmail());
    await request(t.app).get(`/api/v1/auth/users/${user.user.id}`).set(bearer(user.access_token));
    await request(t.app).get('/no/such/path/1');
    await request(t.app).get('/no/such/path/2');
    const text = await scrape();
    expect(sample(text, 'auth_http_requests_total{method="POST",route="/api/v1/auth/register",status="201"}')).toBe(1);
    expect(sample(text, 'auth_http_requests_total{method="GET",route="/api/v1/auth/users/:id",status="403"}')).toBe(1);
    expect(sample(text, 'auth_http_requests_total{method="GET",route="unmatched",status="404"}')).toBeGreaterThanOrEqual(2);
    expect(sample(text, 'auth_http_request_duration_seconds_count{method="POST",route="/api/v1/auth/register",status="201"}')).toBe(1);
    expect(text).not.toContain('/no/such/path');
  });

  it('counts login outcomes by reason, throttle hits and refresh-token reuse', async () => {
    const email = uniqueEmail('counted');
    const user = await register(t.app, email);
    const login = (password: string) => request(t.app).post('/api/v1/auth/login').send({ email, password });
    const before = await scrape();
    const n = (text: string, series: string) => sample(text, series) ?? 0;

    await login('correct horse battery staple');
    await login('wrong password');
    await request(t.app).post('/api/v1/auth/login').send({ email: uniqueEmail('ghost'), password: 'whatever it is' });
    await login('wrong password');
    expect((await login('wrong password')).status).toBe(429);
    await request(t.app).post('/api/v1/auth/refresh').send({ refresh_token: user.refresh_token });
    await request(t.app).post('/api/v1/auth/refresh').send({ refresh_token: user.refresh_token });

    const after = await scrape();
    const delta = (series: string) => n(after, series) - n(before, series);
    expect(delta('auth_login_attempts_total{outcome="succeeded"}')).toBe(1);
    expect(delta('auth_login_attempts_total{outcome="wrong_password"}')).toBe(2);
    expect(delta('auth_login_attempts_total{outcome="unknown_email"}')).toBe(1);
    expect(delta('auth_login_attempts_total{outcome="throttled"}')).toBe(1);
    expect(delta('auth_throttled_total{limiter="login"}')).toBe(1);
    expect(delta('auth_refresh_token_reuse_total')).toBe(1);
  });

  it('reports the database pool: connections in use, idle and waiting', async () => {
    const text = await scrape();
    for (const state of ['in_use', 'idle', 'waiting']) expect(sample(text, `auth_db_pool_connections{state="${state}"}`)).toEqual(expect.any(Number));
    expect(sample(text, 'auth_db_pool_connections{state="waiting"}')).toBe(0);
  });

  it('reports the mail outbox: how many mails wait and the age of the oldest', async () => {
    // Both gauges come from one read, reused for a second: poll until a scrape has read the rows as they are now.
    const scrapeUntilDepth = async (depth: number) => {
      let text = await scrape();
      for (let i = 0; i < 50 && sample(text, 'auth_mail_outbox_depth') !== depth; i++) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        text = await scrape();
      }
      return text;
    };
    await t.dataSource.query(`DELETE FROM auth.mail_outbox`);
    const empty = await scrapeUntilDepth(0);
    expect(sample(empty, 'auth_mail_outbox_depth')).toBe(0);
    expect(sample(empty, 'auth_mail_outbox_oldest_age_seconds')).toBe(0);
    await t.dataSource.query(
      `INSERT INTO auth.mail_outbox (template, recipient, status, created_at) VALUES
         ('verify_email', 'a@cathouse.example', 'pending', now() - interval '10 minutes'),
         ('verify_email', 'b@cathouse.example', 'pending', now()),
         ('verify_email', 'c@cathouse.example', 'sent', now() - interval '1 day')`,
    );
    const text = await scrapeUntilDepth(2);
    expect(sample(text, 'auth_mail_outbox_depth')).toBe(2);
    expect(sample(text, 'auth_mail_outbox_oldest_age_seconds')).toBeGreaterThanOrEqual(600);
    expect(sample(text, 'auth_mail_outbox_oldest_age_seconds')).toBeLessThan(700);
  });
});
