import request from 'supertest';
import { createTestDatabase, type TestDatabase } from './support/database';
import { startTestApp, type TestApp } from './support/app';

describe('HTTP skeleton', () => {
  let db: TestDatabase;
  let empty: TestDatabase;
  let service: TestApp;
  let unmigrated: TestApp;

  beforeAll(async () => {
    [db, empty] = await Promise.all([createTestDatabase(), createTestDatabase({ migrated: false })]);
    [service, unmigrated] = await Promise.all([startTestApp(db.url), startTestApp(empty.url)]);
  });

  afterAll(async () => {
    await Promise.all([service.close(), unmigrated.close()]);
    await Promise.all([db.drop(), empty.drop()]);
  });

  it('answers health while the process lives', async () => {
    const res = await request(service.app).get('/api/v1/auth/health').expect(200);
    expect(res.body).toEqual({ status: 'ok' });
  });

  it('is ready when the database answers and the schema is at the head the code expects', async () => {
    const res = await request(service.app).get('/api/v1/auth/ready').expect(200);
    expect(res.body.status).toBe('ready');
    expect(res.body.checks.schema.pending).toEqual([]);
    expect(res.body.checks.schema.applied_head).toBe(res.body.checks.schema.expected_head);
  });

  it('is not ready on a database without the migrations, and says which are pending', async () => {
    const res = await request(unmigrated.app).get('/api/v1/auth/ready').expect(503);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body).toMatchObject({ error: 'not_ready', status: 503 });
    expect(res.body.checks.schema.applied_head).toBeNull();
    expect(res.body.checks.schema.pending.length).toBeGreaterThan(0);
    expect(res.body.detail).toMatch(/migration\(s\) pending/);
  });

  it('stays ready when the database is ahead (a newer release migrated first: expand/contract), and says so', async () => {
    await service.dataSource.query(`INSERT INTO migrator.migrations ("timestamp", name) VALUES (9999999999999, 'FromTheFuture9999999999999')`);
    try {
      const res = await request(service.app).get('/api/v1/auth/ready').expect(200);
      expect(res.body.checks.schema).toMatchObject({ state: 'ahead', pending: [], unknown: ['FromTheFuture9999999999999'] });
      expect(res.body.detail).toMatch(/ahead of this build/);
      const proxied = await request(service.app).get('/api/v1/auth/ready').set('X-Forwarded-For', '203.0.113.9').expect(200);
      expect(proxied.body).toEqual({ status: 'ready', checks: { database: 'ok', schema: 'ahead' } });
      const metrics = await request(service.app).get('/metrics').expect(200);
      expect(metrics.text).toMatch(/^auth_schema_unknown_migrations 1$/m);
      expect(metrics.text).toMatch(/^auth_schema_pending_migrations 0$/m);
    } finally {
      await service.dataSource.query(`DELETE FROM migrator.migrations WHERE name = 'FromTheFuture9999999999999'`);
    }
  });

  it('L9: shows migration names only to internal callers or with READY_TOKEN; through a proxy, only ready or not', async () => {
    const token = 'ready-token-for-the-test-0123456789';
    const withToken = await startTestApp(empty.url, { READY_TOKEN: token });
    try {
      // Through a proxy (X-Forwarded-For) the caller is not internal: status only, both when ready and not.
      const proxied = await request(withToken.app).get('/api/v1/auth/ready').set('X-Forwarded-For', '203.0.113.9').expect(503);
      expect(proxied.body).toMatchObject({ error: 'not_ready', checks: { database: 'ok', schema: 'mismatch' } });
      expect(JSON.stringify(proxied.body)).not.toMatch(/InitialSchema|LoginThrottle|pending|head/);
      const proxiedReady = await request(service.app).get('/api/v1/auth/ready').set('Forwarded', 'for=203.0.113.9').expect(200);
      expect(proxiedReady.body).toEqual({ status: 'ready', checks: { database: 'ok', schema: 'ok' } });

      // A wrong token changes nothing; the right one shows the detail from anywhere.
      const wrong = await request(withToken.app).get('/api/v1/auth/ready').set('X-Forwarded-For', '203.0.113.9').set('X-Ready-Token', 'nope').expect(503);
      expect(wrong.body.checks.schema).toBe('mismatch');
      const right = await request(withToken.app).get('/api/v1/auth/ready').set('X-Forwarded-For', '203.0.113.9').set('X-Ready-Token', token).expect(503);
      expect(right.body.checks.schema.pending.length).toBeGreaterThan(0);
    } finally {
      await withToken.close();
    }
  });

  it('answers unknown routes with a problem+json 404', async () => {
    const res = await request(service.app).get('/api/v1/auth/nope').expect(404);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body).toMatchObject({
      type: 'urn:cathouse:problem:not_found',
      title: 'Not found',
      status: 404,
      error: 'not_found',
    });
    expect(typeof res.body.detail).toBe('string');
  });

  it('answers malformed JSON with 400 invalid_json and no stack trace', async () => {
    const res = await request(service.app)
      .post('/api/v1/auth/health')
      .set('content-type', 'application/json')
      .send('{"email": ')
      .expect(400);
    expect(res.body.error).toBe('invalid_json');
    expect(JSON.stringify(res.body)).not.toMatch(/at .*\.(js|ts):\d+/);
  });

  it('answers an oversized body with 413', async () => {
    const res = await request(service.app)
      .post('/api/v1/auth/health')
      .set('content-type', 'application/json')
      .send(JSON.stringify({ pad: 'x'.repeat(64 * 1024) }))
      .expect(413);
    expect(res.body.error).toBe('payload_too_large');
  });

  it('sends security headers and hides x-powered-by', async () => {
    const res = await request(service.app).get('/api/v1/auth/health');
    expect(res.headers['x-powered-by']).toBeUndefined();
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['strict-transport-security']).toMatch(/max-age=/);
    expect(res.headers['content-security-policy']).toBe("default-src 'none'; frame-ancestors 'none'");
    expect(res.headers['x-frame-options']).toBe('DENY');
    expect(res.headers['referrer-policy']).toBe('no-referrer');
  });

  it('gives every response a request id, keeping a well-formed one from the caller', async () => {
    const generated = await request(service.app).get('/api/v1/auth/health');
    expect(generated.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    const kept = await request(service.app).get('/api/v1/auth/health').set('x-request-id', 'edge-123');
    expect(kept.headers['x-request-id']).toBe('edge-123');
    const replaced = await request(service.app).get('/api/v1/auth/health').set('x-request-id', 'bad id {"forged": true}');
    expect(replaced.headers['x-request-id']).not.toContain('forged');
  });

  it('answers a path parameter that is not valid percent-encoding with 400, not 500', async () => {
    const res = await request(service.app).patch('/api/v1/auth/users/%zz').send({ role: 'player' });
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('invalid_request');
  });
});
