import { createHmac, createPublicKey, sign as rawSign } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import jwt from 'jsonwebtoken';
import request from 'supertest';
import { createVerifier, requireAuth, requireRole, type Verifier } from '@cathouse/auth-client';
import { generateSigningKeyPem } from '../../../src/auth/tokens/signing-keys';
import { startTestApp, type TestApp } from '../../../test/support/app';
import { createTestDatabase, type TestDatabase } from '../../../test/support/database';
import { promoteToAdmin, register, registerDeveloper, uniqueEmail } from '../../../test/auth/helpers';

const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** The real auth service, listening on a port that survives restarts (for key rotation). */
class RunningAuthService {
  t!: TestApp;
  private server!: Server;
  port = 0;

  constructor(private readonly dbUrl: string) {}

  async start(env: Record<string, string>): Promise<void> {
    this.t = await startTestApp(this.dbUrl, env);
    this.server = this.t.app.listen(this.port, '127.0.0.1');
    await new Promise((resolve, reject) => {
      this.server.once('listening', resolve);
      this.server.once('error', reject);
    });
    this.port = (this.server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    await new Promise((resolve) => {
      this.server.close(resolve);
      this.server.closeAllConnections();
    });
    await this.t.close();
  }

  get jwksUri() {
    return `http://127.0.0.1:${this.port}/.well-known/jwks.json`;
  }
}

/** A downstream service (say, the catalog) protected by the package. */
function catalogApp(verifier: Verifier) {
  const app = express();
  app.use('/api/v1/catalog', requireAuth(verifier));
  app.get('/api/v1/catalog/whoami', (req, res) => {
    res.json(req.auth);
  });
  app.post('/api/v1/catalog/cats', requireRole('developer', 'admin'), (_req, res) => {
    res.status(201).json({ ok: true });
  });
  app.delete('/api/v1/catalog/cats/1', requireRole('admin'), (_req, res) => {
    res.status(204).end();
  });
  return app;
}

describe('@cathouse/auth-client against the running auth service', () => {
  let db: TestDatabase;
  let service: RunningAuthService;
  const keyA = generateSigningKeyPem();
  const keyB = generateSigningKeyPem();
  const publicA = createPublicKey(keyA).export({ format: 'pem', type: 'spki' }).toString();

  beforeAll(async () => {
    db = await createTestDatabase();
    service = new RunningAuthService(db.url);
    await service.start({ JWT_PRIVATE_KEY: keyA });
  });
  afterAll(async () => {
    await service.stop();
    await db.drop();
  });

  const newVerifier = (extra: Partial<Parameters<typeof createVerifier>[0]> = {}) =>
    createVerifier({ jwksUri: service.jwksUri, issuer: 'cathouse-auth', audience: 'cathouse', ...extra });

  it('verifies a token from the service and puts its claims on req.auth', async () => {
    const verifier = newVerifier();
    const { access_token, user } = await register(service.t.app, uniqueEmail());
    const res = await request(catalogApp(verifier)).get('/api/v1/catalog/whoami').set('Authorization', `Bearer ${access_token}`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ sub: user.id, role: 'player', iss: 'cathouse-auth', aud: 'cathouse' });
    expect(res.body.sid).toEqual(expect.any(String));
  });

  it('caches the JWKS: many verifications, one fetch', async () => {
    const verifier = newVerifier();
    const { access_token } = await register(service.t.app, uniqueEmail());
    for (let i = 0; i < 10; i++) await verifier.verify(access_token);
    expect(verifier.jwks.fetches).toBe(1);
  });

  it('requireRole: a player is refused a developer route (403), a developer and an admin pass', async () => {
    const verifier = newVerifier();
    const app = catalogApp(verifier);
    const player = await register(service.t.app, uniqueEmail());
    const developer = await registerDeveloper(service.t, uniqueEmail());
    const adminEmail = uniqueEmail('admin');
    const admin = await register(service.t.app, adminEmail);
    await promoteToAdmin(service.t, admin.user.id);
    const adminLogin = await request(service.t.app).post('/api/v1/auth/login').send({ email: adminEmail, password: 'correct horse battery staple' });

    const asPlayer = await request(app).post('/api/v1/catalog/cats').set('Authorization', `Bearer ${player.access_token}`);
    expect(asPlayer.status).toBe(403);
    expect(asPlayer.body.error).toBe('forbidden');
    expect(asPlayer.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect((await request(app).post('/api/v1/catalog/cats').set('Authorization', `Bearer ${developer.access_token}`)).status).toBe(201);
    expect((await request(app).delete('/api/v1/catalog/cats/1').set('Authorization', `Bearer ${developer.access_token}`)).status).toBe(403);
    expect((await request(app).delete('/api/v1/catalog/cats/1').set('Authorization', `Bearer ${adminLogin.body.access_token}`)).status).toBe(204);
  });

  it('refuses forgeries: alg none, HS256 with the public key, a foreign key with our kid, tampering, wrong aud/iss/typ, expiry', async () => {
    const verifier = newVerifier();
    const app = catalogApp(verifier);
    const { access_token } = await register(service.t.app, uniqueEmail());
    const decoded = jwt.decode(access_token, { complete: true })!;
    const header = decoded.header as unknown as Record<string, unknown>;
    const payload = decoded.payload as Record<string, unknown>;
    const ourKey = service.t.authKeys.signingKeys.current.privateKey;
    const signed = (h: object, p: object) => {
      const input = `${b64(h)}.${b64(p)}`;
      return `${input}.${rawSign('sha256', Buffer.from(input), { key: ourKey, dsaEncoding: 'ieee-p1363' }).toString('base64url')}`;
    };
    const publicPem = createPublicKey(keyA).export({ format: 'pem', type: 'spki' }).toString();
    const hsInput = `${b64({ ...header, alg: 'HS256' })}.${b64(payload)}`;
    const now = Math.floor(Date.now() / 1000);
    const forgeries: Record<string, string> = {
      'alg none': `${b64({ ...header, alg: 'none' })}.${b64(payload)}.`,
      'HS256 with the public key': `${hsInput}.${createHmac('sha256', publicPem).update(hsInput).digest('base64url')}`,
      'foreign key with our kid': jwt.sign(payload, generateSigningKeyPem(), { algorithm: 'ES256', header: { alg: 'ES256', typ: 'at+jwt', kid: header.kid as string } }),
      'tampered payload': `${access_token.split('.')[0]}.${b64({ ...payload, role: 'admin' })}.${access_token.split('.')[2]}`,
      'wrong audience': signed(header, { ...payload, aud: 'elsewhere' }),
      'wrong issuer': signed(header, { ...payload, iss: 'https://evil.example' }),
      'typ JWT': signed({ ...header, typ: 'JWT' }, payload),
      expired: signed(header, { ...payload, iat: now - 3600, exp: now - 60 }),
      'not a JWT': 'not-a-jwt',
      'two parts': access_token.split('.').slice(0, 2).join('.'),
      'four parts': `${access_token}.${access_token.split('.')[2]}`,
      'header not JSON': `${Buffer.from('{"alg":"ES256"').toString('base64url')}.${access_token.split('.').slice(1).join('.')}`,
      'header an array': signed(['ES256'], payload),
      'payload not JSON': `${access_token.split('.')[0]}.${Buffer.from('not json').toString('base64url')}.${access_token.split('.')[2]}`,
    };
    // The helper signs acceptable tokens when nothing is wrong, so each refusal is for its stated reason.
    expect((await request(app).get('/api/v1/catalog/whoami').set('Authorization', `Bearer ${signed(header, payload)}`)).status).toBe(200);
    for (const [name, token] of Object.entries(forgeries)) {
      const res = await request(app).get('/api/v1/catalog/whoami').set('Authorization', `Bearer ${token}`);
      expect({ name, status: res.status, error: res.body.error }).toEqual({ name, status: 401, error: 'invalid_token' });
    }
    expect((await request(app).get('/api/v1/catalog/whoami')).status).toBe(401);
  });

  it('refetches on an unknown kid, but at most once per interval', async () => {
    const verifier = newVerifier({ minRefetchIntervalMs: 60_000 });
    const { access_token } = await register(service.t.app, uniqueEmail());
    await verifier.verify(access_token);
    const header = jwt.decode(access_token, { complete: true })!.header;
    const unknownKid = jwt.sign({ sub: 'x' }, generateSigningKeyPem(), { algorithm: 'ES256', header: { ...header, kid: 'made-up-kid' } });
    for (let i = 0; i < 20; i++) await expect(verifier.verify(unknownKid)).rejects.toMatchObject({ code: 'invalid_token' });
    // One fetch at start; the first unknown kid came too soon after it, so none of the 20 fetched again.
    expect(verifier.jwks.fetches).toBe(1);

    const eager = newVerifier({ minRefetchIntervalMs: 0 });
    await eager.verify(access_token);
    await expect(eager.verify(unknownKid)).rejects.toMatchObject({ code: 'invalid_token' });
    expect(eager.jwks.fetches).toBe(2);
  });

  it('survives a key rotation: old tokens keep working, new tokens are picked up by refetching on the new kid', async () => {
    const verifier = newVerifier({ minRefetchIntervalMs: 0 });
    const app = catalogApp(verifier);
    const email = uniqueEmail('rotating');
    const before = await register(service.t.app, email);
    expect((await request(app).get('/api/v1/catalog/whoami').set('Authorization', `Bearer ${before.access_token}`)).status).toBe(200);
    expect(verifier.jwks.fetches).toBe(1);

    // Rotation, step 1: new private key, the old public key kept as previous. Same URL.
    await service.stop();
    await service.start({ JWT_PRIVATE_KEY: keyB, JWT_PREVIOUS_PUBLIC_KEYS: publicA });
    const after = await request(service.t.app).post('/api/v1/auth/login').send({ email, password: 'correct horse battery staple' });
    expect(jwt.decode(after.body.access_token, { complete: true })!.header.kid).not.toBe(jwt.decode(before.access_token, { complete: true })!.header.kid);

    expect((await request(app).get('/api/v1/catalog/whoami').set('Authorization', `Bearer ${after.body.access_token}`)).status).toBe(200);
    expect((await request(app).get('/api/v1/catalog/whoami').set('Authorization', `Bearer ${before.access_token}`)).status).toBe(200);
    expect(verifier.jwks.fetches).toBe(2);

    // A verifier started after the rotation trusts both keys from its first fetch.
    const fresh = newVerifier();
    await expect(fresh.verify(before.access_token)).resolves.toMatchObject({ sub: before.user.id });
    await expect(fresh.verify(after.body.access_token)).resolves.toMatchObject({ sub: before.user.id });

    // Step 2, once old tokens have expired: the previous key is dropped, and verifiers that refetch stop trusting it.
    await service.stop();
    await service.start({ JWT_PRIVATE_KEY: keyB });
    const later = newVerifier();
    await expect(later.verify(before.access_token)).rejects.toMatchObject({ code: 'invalid_token' });
    await expect(later.verify(after.body.access_token)).resolves.toBeDefined();
  });

  it('answers 503 auth_unavailable when the JWKS cannot be fetched and no key is known, on every request until a fetch succeeds', async () => {
    // A gate in front of the real JWKS that can be closed (500) and opened again.
    let open = false;
    const gate = express();
    gate.get('/.well-known/jwks.json', async (_req, res) => {
      if (!open) {
        res.status(500).end();
        return;
      }
      res.json(await (await fetch(service.jwksUri)).json());
    });
    const gateServer = gate.listen(0, '127.0.0.1');
    await new Promise((resolve) => gateServer.once('listening', resolve));
    try {
      const jwksUri = `http://127.0.0.1:${(gateServer.address() as AddressInfo).port}/.well-known/jwks.json`;
      // A long retry interval: the second request below must not depend on a new fetch.
      const verifier = createVerifier({ jwksUri, issuer: 'cathouse-auth', audience: 'cathouse', timeoutMs: 500, retryAfterFailureMs: 60_000 });
      const app = catalogApp(verifier);
      const { access_token } = await register(service.t.app, uniqueEmail());
      const whoami = () => request(app).get('/api/v1/catalog/whoami').set('Authorization', `Bearer ${access_token}`);
      for (const attempt of ['first', 'second', 'third']) {
        const res = await whoami();
        expect({ attempt, status: res.status, error: res.body.error, retryAfter: res.headers['retry-after'] }).toEqual({
          attempt,
          status: 503,
          error: 'auth_unavailable',
          retryAfter: '5',
        });
      }
      expect(verifier.jwks.fetches).toBe(1);

      // The auth service is back: once a fetch succeeds, tokens verify again.
      open = true;
      const quick = createVerifier({ jwksUri, issuer: 'cathouse-auth', audience: 'cathouse', timeoutMs: 500, retryAfterFailureMs: 0 });
      open = false;
      await expect(quick.verify(access_token)).rejects.toMatchObject({ code: 'auth_unavailable' });
      open = true;
      await expect(quick.verify(access_token)).resolves.toMatchObject({ sid: expect.any(String) });
      await expect(quick.verify(access_token)).resolves.toBeDefined();
      expect(quick.jwks.fetches).toBe(2);
    } finally {
      await new Promise((resolve) => gateServer.close(resolve));
    }
  });
});
