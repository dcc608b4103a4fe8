import { createHmac, createPublicKey, generateKeyPairSync, sign as rawSign } from 'node:crypto';
import jwt from 'jsonwebtoken';
import request from 'supertest';
import { generateSigningKeyPem, jwkThumbprint } from '../../src/auth/tokens/signing-keys';
import { startTestApp, type TestApp } from '../support/app';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { bearer, register, uniqueEmail } from './helpers';

const ME = '/api/v1/auth/me';
const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');

describe('access tokens: ES256 JWTs, and every forgery refused', () => {
  let db: TestDatabase;
  let t: TestApp;
  let valid: { access_token: string; user: { id: string } };
  let header: Record<string, unknown>;
  let payload: Record<string, unknown>;

  beforeAll(async () => {
    db = await createTestDatabase();
    t = await startTestApp(db.url);
    valid = await register(t.app, uniqueEmail());
    const decoded = jwt.decode(valid.access_token, { complete: true })!;
    header = decoded.header as unknown as Record<string, unknown>;
    payload = decoded.payload as Record<string, unknown>;
  });
  afterAll(async () => {
    await t.close();
    await db.drop();
  });

  const me = (token: string) => request(t.app).get(ME).set(bearer(token));
  const expectRefused = async (token: string) => {
    const res = await me(token);
    expect(res.status).toBe(401);
    expect(res.body.error).toBe('invalid_token');
    expect(res.headers['www-authenticate']).toMatch(/^Bearer error="invalid_token"/);
  };
  /** Signs header.payload with our own private key in the ES256 JOSE format. */
  const signWithOurKey = (h: object, p: object) => {
    const input = `${b64(h)}.${b64(p)}`;
    const signature = rawSign('sha256', Buffer.from(input), { key: t.authKeys.signingKeys.current.privateKey, dsaEncoding: 'ieee-p1363' });
    return `${input}.${signature.toString('base64url')}`;
  };

  it('carries typ at+jwt, kid (RFC 7638 thumbprint), ES256 and the claims of the contract', () => {
    expect(header).toEqual({ alg: 'ES256', typ: 'at+jwt', kid: jwkThumbprint(t.authKeys.signingKeys.current.publicKey) });
    // amr, acr and auth_time since issue 26: how and when the session's user authenticated.
    expect(Object.keys(payload).sort()).toEqual(['acr', 'amr', 'aud', 'auth_time', 'email_verified', 'exp', 'iat', 'iss', 'jti', 'role', 'sid', 'sub']);
    expect(payload).toMatchObject({ amr: ['pwd'], acr: 'urn:cathouse:acr:password' });
    expect(payload).toMatchObject({ iss: 'cathouse-auth', aud: 'cathouse', sub: valid.user.id, role: 'player', email_verified: false });
    expect((payload.exp as number) - (payload.iat as number)).toBe(900);
  });

  it('a token we sign ourselves through the test helper is accepted (the helper can pass)', async () => {
    expect((await me(signWithOurKey(header, payload))).status).toBe(200);
  });

  it('refuses alg "none"', async () => {
    await expectRefused(`${b64({ ...header, alg: 'none' })}.${b64(payload)}.`);
  });

  it('refuses HS256 signed with our public key as the HMAC secret', async () => {
    const publicPem = t.authKeys.signingKeys.current.publicKey.export({ format: 'pem', type: 'spki' }).toString();
    const input = `${b64({ ...header, alg: 'HS256' })}.${b64(payload)}`;
    const mac = createHmac('sha256', publicPem).update(input).digest('base64url');
    await expectRefused(`${input}.${mac}`);
  });

  it('refuses a token signed by a foreign key that claims our kid', async () => {
    const foreign = generateSigningKeyPem();
    await expectRefused(jwt.sign(payload, foreign, { algorithm: 'ES256', header: { alg: 'ES256', typ: 'at+jwt', kid: header.kid as string } }));
  });

  it('refuses a tampered payload (role raised to admin)', async () => {
    const [h, , s] = valid.access_token.split('.');
    await expectRefused(`${h}.${b64({ ...payload, role: 'admin' })}.${s}`);
  });

  it('refuses an expired token', async () => {
    const now = Math.floor(Date.now() / 1000);
    await expectRefused(signWithOurKey(header, { ...payload, iat: now - 1000, exp: now - 10 }));
  });

  it('refuses a wrong audience and a wrong issuer', async () => {
    await expectRefused(signWithOurKey(header, { ...payload, aud: 'another-api' }));
    await expectRefused(signWithOurKey(header, { ...payload, iss: 'https://evil.example' }));
  });

  it('refuses a correctly signed JWT whose typ is not at+jwt (e.g. an ID token), or that has none', async () => {
    await expectRefused(signWithOurKey({ ...header, typ: 'JWT' }, payload));
    const { typ: _typ, ...noTyp } = header;
    await expectRefused(signWithOurKey(noTyp, payload));
  });

  it('refuses an unknown kid, no kid, missing claims and garbage', async () => {
    await expectRefused(signWithOurKey({ ...header, kid: 'unknown' }, payload));
    const { kid: _kid, ...noKid } = header;
    await expectRefused(signWithOurKey(noKid, payload));
    const { sid: _sid, ...noSid } = payload;
    await expectRefused(signWithOurKey(header, noSid));
    await expectRefused(signWithOurKey(header, { ...payload, role: 'emperor' }));
    await expectRefused('not.a.jwt');
    await expectRefused('abc');
  });

  it('refuses a token whose sid names no session (forged sid, valid signature)', async () => {
    await expectRefused(signWithOurKey(header, { ...payload, sid: '00000000-0000-4000-8000-000000000000' }));
    await expectRefused(signWithOurKey(header, { ...payload, sid: 'not-a-uuid' }));
  });

  it('answers 401 for a missing or malformed Authorization header', async () => {
    for (const value of [undefined, 'Basic dXNlcjpwYXNz', 'Bearer', 'Bearer a b', `bearer ${valid.access_token}`]) {
      const req = request(t.app).get(ME);
      const res = await (value === undefined ? req : req.set('Authorization', value));
      if (value?.startsWith('bearer ')) expect(res.status).toBe(200); // the scheme is case-insensitive (RFC 7235 §2.1)
      else expect(res.body.error).toBe('invalid_token');
    }
  });

  it('publishes the JWKS at the root with kid, alg and use', async () => {
    const res = await request(t.app).get('/.well-known/jwks.json');
    expect(res.status).toBe(200);
    expect(res.body.keys).toHaveLength(1);
    const [key] = res.body.keys;
    expect(key).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig', kid: header.kid });
    expect(key.d).toBeUndefined();
    expect(jwkThumbprint(createPublicKey({ key, format: 'jwk' }))).toBe(key.kid);
  });
});

describe('signing key rotation logs nobody out', () => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db.drop();
  });

  it('tokens of the old key stay valid while its public key is listed as previous, and stop when it is removed', async () => {
    const oldKey = generateSigningKeyPem();
    const newKey = generateSigningKeyPem();
    const oldPublic = createPublicKey(oldKey).export({ format: 'pem', type: 'spki' }).toString();

    const before = await startTestApp(db.url, { JWT_PRIVATE_KEY: oldKey });
    const session = await register(before.app, uniqueEmail());
    await before.close();

    const after = await startTestApp(db.url, { JWT_PRIVATE_KEY: newKey, JWT_PREVIOUS_PUBLIC_KEYS: oldPublic });
    try {
      expect((await request(after.app).get(ME).set(bearer(session.access_token))).status).toBe(200);
      const jwks = await request(after.app).get('/.well-known/jwks.json');
      expect(jwks.body.keys.map((k: { kid: string }) => k.kid)).toEqual([
        after.authKeys.signingKeys.current.kid,
        jwt.decode(session.access_token, { complete: true })!.header.kid,
      ]);
      // The refresh token outlives the key: the new access token is signed with the new key.
      const refreshed = await request(after.app).post('/api/v1/auth/refresh').send({ refresh_token: session.refresh_token });
      expect(jwt.decode(refreshed.body.access_token, { complete: true })!.header.kid).toBe(after.authKeys.signingKeys.current.kid);
    } finally {
      await after.close();
    }

    const later = await startTestApp(db.url, { JWT_PRIVATE_KEY: newKey });
    try {
      expect((await request(later.app).get(ME).set(bearer(session.access_token))).status).toBe(401);
    } finally {
      await later.close();
    }
  });

  it('a key from a file and previous keys from a file work like the variables', async () => {
    const { mkdtemp, writeFile } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const path = await import('node:path');
    const dir = await mkdtemp(path.join(tmpdir(), 'auth-keys-'));
    const key = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const previous = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    await writeFile(path.join(dir, 'key.pem'), key.privateKey.export({ format: 'pem', type: 'sec1' }));
    await writeFile(path.join(dir, 'previous.pem'), previous.publicKey.export({ format: 'pem', type: 'spki' }));
    const app = await startTestApp(db.url, {
      JWT_PRIVATE_KEY_FILE: path.join(dir, 'key.pem'),
      JWT_PREVIOUS_PUBLIC_KEYS_FILE: path.join(dir, 'previous.pem'),
    });
    try {
      const jwks = await request(app.app).get('/.well-known/jwks.json');
      expect(jwks.body.keys.map((k: { kid: string }) => k.kid)).toEqual([jwkThumbprint(key.publicKey), jwkThumbprint(previous.publicKey)]);
    } finally {
      await app.close();
    }
  });
});
