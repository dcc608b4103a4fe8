import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type * as OAuth from 'oauth4webapi' with { 'resolution-mode': 'import' };
import express from 'express';
import request from 'supertest';
import { createInstallationVerifier, requireAuth, requireInstallation } from '@cathouse/auth-client';
import { main as admin } from '../../src/cli/admin/main';
import { ACCESS_TOKEN_TYPE_URN, TOKEN_EXCHANGE_GRANT } from '../../src/auth/tokens/token-exchange';
import type { DataSource } from 'typeorm';
import { createRuntimeDataSource } from '../../src/db/runtime-data-source';
import { startTestApp, type TestApp } from '../support/app';
import { asServiceRole, testConfig } from '../support/env';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { startPgBouncer, type PgBouncer } from '../support/pgbouncer';
import { codeBlock, PYTHON_DRIVER, run } from '../support/verifying-tokens-doc';
import { register, uniqueEmail } from './helpers';
import { createCat, install } from './installations';

/**
 * The whole chain over a real PgBouncer in transaction mode, as the auth service's own database
 * role (the privilege policy's grants, src/db/privileges.ts), two service instances behind it:
 * the admin command makes the proxy's client; a user logs in (the UI); the proxy, a real OAuth
 * client (oauth4webapi), exchanges the user's token for an installation token; the cat verifies
 * it with @cathouse/auth-client and with the Python code of docs/verifying-tokens.md.
 */
describe('UI → proxy → cat, through PgBouncer, as the auth role', () => {
  let db: TestDatabase;
  let bouncer: PgBouncer;
  let oauth: typeof OAuth;
  /** The catalog and installation services' data, written as the owner (the auth role only reads it). */
  let fixtures: DataSource;
  const instances: { t: TestApp; server: Server; url: string }[] = [];

  beforeAll(async () => {
    oauth = await import('oauth4webapi');
    db = await createTestDatabase();
    fixtures = createRuntimeDataSource(db.url, testConfig().db);
    await fixtures.initialize();
    bouncer = await startPgBouncer(asServiceRole(db.url, 'auth'), { poolSize: 3 });
    for (let i = 0; i < 2; i++) {
      const t = await startTestApp(bouncer.url, { DB_POOL_MAX: '8', CLIENT_AUTH_MAX_FAILURES: '3' });
      const server = t.app.listen(0, '127.0.0.1');
      await new Promise((resolve) => server.once('listening', resolve));
      instances.push({ t, server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` });
    }
  });
  afterAll(async () => {
    for (const { t, server } of instances) {
      await new Promise((resolve) => server.close(resolve));
      await t.close();
    }
    await bouncer?.stop();
    await fixtures?.destroy();
    await db?.drop();
  });

  const adminCommand = async (...argv: string[]) => {
    const out: string[] = [];
    const code = await admin([...argv, '--json'], { out: (t) => out.push(t), err: () => undefined }, {
      NODE_ENV: 'test',
      DATABASE_URL: bouncer.url,
      TOKEN_SECRET: 'test-secret-test-secret-test-secret-0123',
    });
    return { code, body: JSON.parse(out.join('')) };
  };

  it('login, exchange by a real OAuth client, verification by the cat in Node and in Python; refusals and throttling too', async () => {
    const [a, b] = instances;
    const created = await adminCommand('clients', 'create', 'proxy', '--scopes', 'installations:exchange');
    expect(created.code).toBe(0);
    const proxySecret: string = created.body.client_secret;

    // The UI: a player logs in on instance A.
    const email = uniqueEmail('pooled-player');
    const player = await register(a!.t.app, email);
    const login = await request(a!.t.app).post('/api/v1/auth/login').send({ email, password: 'correct horse battery staple' });
    const catId = await createCat(fixtures, player.user.id);
    const installationId = await install(fixtures, player.user.id, catId, { asked: ['storage', 'notification'], granted: ['storage'] });

    // The proxy: exchanges on instance B with client_secret_basic, as an OAuth client library does.
    const as: OAuth.AuthorizationServer = { issuer: 'cathouse-auth', token_endpoint: `${b!.url}/api/v1/auth/token` };
    const proxy: OAuth.Client = { client_id: 'proxy' };
    const exchange = async (subjectToken: string, id = installationId) =>
      oauth.genericTokenEndpointRequest(as, proxy, oauth.ClientSecretBasic(proxySecret), TOKEN_EXCHANGE_GRANT, new URLSearchParams({
        subject_token: subjectToken,
        subject_token_type: ACCESS_TOKEN_TYPE_URN,
        installation_id: id,
      }), { [oauth.allowInsecureRequests]: true });
    const issued = await oauth.processGenericTokenEndpointResponse(as, proxy, await exchange(login.body.access_token));
    expect(issued.issued_token_type).toBe(ACCESS_TOKEN_TYPE_URN);

    // The cat: @cathouse/auth-client against instance A's JWKS.
    const cat = express();
    cat.use(requireAuth(createInstallationVerifier({ jwksUri: `${a!.url}/.well-known/jwks.json`, issuer: 'cathouse-auth', catId })));
    cat.post('/store', requireInstallation({ permission: 'storage' }), (req, res) => {
      res.json({ installation: req.auth?.kind === 'installation' ? req.auth.installation_id : null });
    });
    cat.post('/notify', requireInstallation({ permission: 'notification' }), (_req, res) => {
      res.json({});
    });
    const stored = await request(cat).post('/store').set('Authorization', `Bearer ${issued.access_token}`);
    expect(stored.body).toEqual({ installation: installationId });
    expect((await request(cat).post('/notify').set('Authorization', `Bearer ${issued.access_token}`)).status).toBe(403);
    expect((await request(cat).post('/store').set('Authorization', `Bearer ${login.body.access_token}`)).status).toBe(401);

    // The cat in Python: the documented PyJWT code, against instance B's JWKS.
    const python = await run('/usr/bin/python3', ['-c', (await codeBlock('python')) + PYTHON_DRIVER], JSON.stringify([
      { as: 'installation', token: issued.access_token, cat_id: catId, permission: 'storage' },
      { as: 'installation', token: login.body.access_token, cat_id: catId },
    ]), { CATHOUSE_AUTH_URL: b!.url, CATHOUSE_ISSUER: 'cathouse-auth' });
    expect(python.stderr).toBe('');
    expect(JSON.parse(python.stdout)).toMatchObject([{ ok: true, sub: player.user.id }, { ok: false }]);

    // Paused through one instance, refused by the other at once.
    await fixtures.query(`UPDATE installation.installations SET status = 'paused' WHERE id = $1`, [installationId]);
    const paused = await exchange(login.body.access_token);
    expect(paused.status).toBe(400);
    await expect(oauth.processGenericTokenEndpointResponse(as, proxy, paused)).rejects.toMatchObject({ error: 'invalid_target' });

    // 20 concurrent exchanges spread over both instances and the pooler's 3 server connections.
    const other = await install(fixtures, player.user.id, catId);
    const statuses = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        fetch(`${instances[i % 2]!.url}/api/v1/auth/token`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`proxy:${proxySecret}`).toString('base64')}` },
          body: new URLSearchParams({ grant_type: TOKEN_EXCHANGE_GRANT, subject_token: login.body.access_token, subject_token_type: ACCESS_TOKEN_TYPE_URN, installation_id: other }),
        }).then((r) => r.status),
      ),
    );
    expect(statuses).toEqual(Array(20).fill(200));

    // Wrong secrets are counted in PostgreSQL, shared by both instances: the 4th answer is 429.
    const wrong = await Promise.all([0, 1, 2].map((i) =>
      request(instances[i % 2]!.t.app).post('/api/v1/auth/token').auth('proxy', 'chs_wrong').type('form').send({ grant_type: 'client_credentials' }).then((r) => r.status),
    ));
    expect(wrong).toEqual([401, 401, 401]);
    expect((await request(b!.t.app).post('/api/v1/auth/token').auth('proxy', 'chs_wrong').type('form').send({ grant_type: 'client_credentials' })).status).toBe(429);

    // The admin command over the pooler: rotate and list.
    expect((await adminCommand('clients', 'rotate', 'proxy')).code).toBe(0);
    expect((await adminCommand('clients', 'list')).body).toEqual([expect.objectContaining({ client_id: 'proxy', active: true, last_used_at: expect.any(String) })]);
  });

  it('with the database out of reach, /token answers 503 temporarily_unavailable (JSON, Retry-After), a server failure to the OAuth library', async () => {
    const [a] = instances;
    const as: OAuth.AuthorizationServer = { issuer: 'cathouse-auth', token_endpoint: `${a!.url}/api/v1/auth/token` };
    const client: OAuth.Client = { client_id: 'proxy' };
    await bouncer.halt();
    try {
      const response = await oauth.clientCredentialsGrantRequest(as, client, oauth.ClientSecretBasic('chs_any'), new URLSearchParams(), { [oauth.allowInsecureRequests]: true });
      expect(response.headers.get('retry-after')).toBe('1');
      expect(response.headers.get('cache-control')).toBe('no-store');
      expect(response.headers.get('content-type')).toMatch(/^application\/json/);
      expect(await response.clone().json()).toMatchObject({ error: 'temporarily_unavailable' });
      // oauth4webapi reads RFC 6749 error bodies from 4xx only; a 5xx is a server failure to it, reported with the response.
      const failure = await oauth.processClientCredentialsResponse(as, client, response).catch((err: unknown) => err);
      expect(failure).toMatchObject({ code: oauth.RESPONSE_IS_NOT_CONFORM });
      expect((failure as { cause: Response }).cause.status).toBe(503);
    } finally {
      await bouncer.start();
    }
  });
});

