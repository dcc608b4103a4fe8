import jwt from 'jsonwebtoken';
import request from 'supertest';
import { ACCESS_TOKEN_TYPE_URN, TOKEN_EXCHANGE_GRANT } from '../../src/auth/tokens/token-exchange';
import { useTestApp } from '../support/app';
import { bearer, register, uniqueEmail } from './helpers';
import { createCat, decodeClaims, install, serviceClient } from './installations';

const TOKEN = '/api/v1/auth/token';
const PASSWORD = 'correct horse battery staple';
const basic = (id: string, secret: string) => ({ Authorization: `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}` });

describe('installation tokens by token exchange (RFC 8693 subset)', () => {
  const t = useTestApp({ INSTALLATION_TOKEN_TTL_SECONDS: '240' });
  let proxy: string;
  let user: { access_token: string; user: { id: string } };
  let developerId: string;
  let catId: string;
  let installationId: string;

  beforeAll(async () => {
    proxy = (await serviceClient(t.dataSource, 'proxy', ['installations:exchange'])).clientSecret;
    user = await register(t.app, uniqueEmail('player'));
    developerId = (await register(t.app, uniqueEmail('dev'), PASSWORD, { role: 'developer' })).user.id;
    catId = await createCat(t.dataSource, developerId);
    installationId = await install(t.dataSource, user.user.id, catId, { asked: ['storage', 'notification', 'external_api'], granted: ['storage', 'notification'] });
  });

  const exchange = (form: Record<string, string>, auth: Record<string, string> = basic('proxy', proxy)) =>
    request(t.app)
      .post(TOKEN)
      .set(auth)
      .type('form')
      .send({ grant_type: TOKEN_EXCHANGE_GRANT, subject_token: user.access_token, subject_token_type: ACCESS_TOKEN_TYPE_URN, installation_id: installationId, ...form });
  const refusal = (res: request.Response) => ({ status: res.status, error: res.body.error });

  it('issues a token for that cat: aud cat:<id>, sub the user, installation_id, cat_id, granted perms, act the proxy', async () => {
    const res = await exchange({});
    expect(res.status).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.body).toEqual({ access_token: expect.any(String), issued_token_type: ACCESS_TOKEN_TYPE_URN, token_type: 'Bearer', expires_in: 240 });
    const claims = decodeClaims(res.body.access_token);
    expect(claims).toMatchObject({
      aud: `cat:${catId}`,
      sub: user.user.id,
      installation_id: installationId,
      cat_id: catId,
      perms: ['notification', 'storage'],
      act: { sub: 'proxy' },
      client_id: 'proxy',
      iss: t.config.auth.issuer,
    });
    expect(claims.sid).toBeUndefined();
    expect(claims.role).toBeUndefined();
    expect((claims.exp as number) - (claims.iat as number)).toBe(240);
  });

  it('names the installation by resource (RFC 8707) as well, and checks an audience given', async () => {
    const res = await exchange({ installation_id: '', resource: `urn:cathouse:installation:${installationId}`, audience: `cat:${catId}` });
    expect(res.status).toBe(200);
    expect(decodeClaims(res.body.access_token).installation_id).toBe(installationId);
  });

  it("never outlives the subject token", async () => {
    const key = t.authKeys.signingKeys.current;
    const shortLived = jwt.sign({ sid: decodeClaims(user.access_token).sid, role: 'player' }, key.privateKey, {
      algorithm: 'ES256',
      header: { alg: 'ES256', typ: 'at+jwt', kid: key.kid },
      expiresIn: 40,
      issuer: t.config.auth.issuer,
      audience: t.config.auth.audience,
      subject: user.user.id,
      jwtid: 'short',
    });
    const res = await exchange({ subject_token: shortLived });
    expect(res.body.expires_in).toBeLessThanOrEqual(40);
    expect(decodeClaims(res.body.access_token).exp).toBe(decodeClaims(shortLived).exp);
  });

  it('a revoked permission is absent from the next token at once; a token already issued keeps it until it expires', async () => {
    const inst = await install(t.dataSource, user.user.id, catId, { asked: ['storage', 'external_api'], granted: ['storage', 'external_api'] });
    const before = decodeClaims((await exchange({ installation_id: inst })).body.access_token);
    expect(before.perms).toEqual(['external_api', 'storage']);
    await t.dataSource.query(
      `UPDATE installation.installation_permissions ip SET granted = false, granted_at = NULL
         FROM catalog.permissions p WHERE p.id = ip.permission_id AND ip.installation_id = $1 AND p.permission_type = 'external_api'`,
      [inst],
    );
    expect(decodeClaims((await exchange({ installation_id: inst })).body.access_token).perms).toEqual(['storage']);
  });

  it('a paused or uninstalled installation is refused with invalid_target', async () => {
    for (const status of ['paused', 'uninstalled']) {
      const inst = await install(t.dataSource, user.user.id, catId, { status });
      expect(refusal(await exchange({ installation_id: inst }))).toEqual({ status: 400, error: 'invalid_target' });
    }
    const inst = await install(t.dataSource, user.user.id, catId);
    expect((await exchange({ installation_id: inst })).status).toBe(200);
    await t.dataSource.query(`UPDATE installation.installations SET status = 'paused' WHERE id = $1`, [inst]);
    expect(refusal(await exchange({ installation_id: inst }))).toEqual({ status: 400, error: 'invalid_target' });
  });

  it('a cat that is not published (draft, suspended) is refused with invalid_target', async () => {
    for (const status of ['draft', 'suspended'] as const) {
      const inst = await install(t.dataSource, user.user.id, await createCat(t.dataSource, developerId, status));
      expect(refusal(await exchange({ installation_id: inst }))).toEqual({ status: 400, error: 'invalid_target' });
    }
  });

  it("another user's installation is refused with invalid_target, the same answer as an unknown one", async () => {
    const other = await register(t.app, uniqueEmail('other'));
    const theirs = await install(t.dataSource, other.user.id, catId);
    const res = await exchange({ installation_id: theirs });
    const unknown = await exchange({ installation_id: '7d0c1a52-9c4e-4e1b-9f62-2f2b8f0d9a11' });
    expect(refusal(res)).toEqual({ status: 400, error: 'invalid_target' });
    expect(res.body.error_description).toBe(unknown.body.error_description);
  });

  it('a subject token that is expired, revoked, or not a user token is refused with invalid_request', async () => {
    const key = t.authKeys.signingKeys.current;
    const expired = jwt.sign({ sid: decodeClaims(user.access_token).sid, role: 'player', exp: Math.floor(Date.now() / 1000) - 5 }, key.privateKey, {
      algorithm: 'ES256',
      header: { alg: 'ES256', typ: 'at+jwt', kid: key.kid },
      issuer: t.config.auth.issuer,
      audience: t.config.auth.audience,
      subject: user.user.id,
    });
    const service = (await request(t.app).post(TOKEN).set(basic('proxy', proxy)).type('form').send({ grant_type: 'client_credentials' })).body.access_token;
    const installationToken = (await exchange({})).body.access_token;
    for (const [what, token] of [['expired', expired], ['service token', service], ['installation token', installationToken]]) {
      expect({ what, ...refusal(await exchange({ subject_token: token! })) }).toEqual({ what, status: 400, error: 'invalid_request' });
    }
    const loggedOut = await register(t.app, uniqueEmail('gone'));
    const inst = await install(t.dataSource, loggedOut.user.id, catId);
    expect((await request(t.app).post('/api/v1/auth/logout').set(bearer(loggedOut.access_token))).status).toBe(204);
    expect(refusal(await exchange({ subject_token: loggedOut.access_token, installation_id: inst }))).toEqual({ status: 400, error: 'invalid_request' });
  });

  it('a client without the exchange scope is refused with unauthorized_client', async () => {
    const catalog = (await serviceClient(t.dataSource, 'catalog', ['users:read', 'installations:read'])).clientSecret;
    expect(refusal(await exchange({}, basic('catalog', catalog)))).toEqual({ status: 400, error: 'unauthorized_client' });
  });

  it('an installation token is refused by the user endpoints (audience separation)', async () => {
    const token = (await exchange({})).body.access_token;
    const me = await request(t.app).get('/api/v1/auth/me').set(bearer(token));
    expect(refusal(me)).toEqual({ status: 401, error: 'invalid_token' });
    const logout = await request(t.app).post('/api/v1/auth/logout').set(bearer(token)).send({});
    expect(refusal(logout)).toEqual({ status: 401, error: 'invalid_token' });
  });

  it('L1: a grant can only name a permission of the installation\'s own cat, and the token carries only those', async () => {
    const otherCat = await createCat(t.dataSource, developerId);
    const [foreign] = await t.dataSource.query(`INSERT INTO catalog.permissions (cat_id, permission_type) VALUES ($1, 'external_api') RETURNING id`, [otherCat]);
    // The composite foreign key (permission_id, cat_id) refuses it: the grant takes its installation's cat.
    await expect(
      t.dataSource.query(`INSERT INTO installation.installation_permissions (installation_id, permission_id, granted) VALUES ($1, $2, true)`, [installationId, foreign.id]),
    ).rejects.toMatchObject({ driverError: { code: '23503', constraint: 'fk_installation_permissions_permission_id_cat_id' } });
    // A row that disagrees anyway (written with the key switched off, as before the key existed) adds nothing to the token.
    await t.dataSource.query(`ALTER TABLE installation.installation_permissions DISABLE TRIGGER ALL`);
    try {
      await t.dataSource.query(
        `INSERT INTO installation.installation_permissions (installation_id, permission_id, cat_id, granted) VALUES ($1, $2, $3, true)`,
        [installationId, foreign.id, catId],
      );
    } finally {
      await t.dataSource.query(`ALTER TABLE installation.installation_permissions ENABLE TRIGGER ALL`);
    }
    const res = await exchange({});
    expect(res.status).toBe(200);
    expect(decodeClaims(res.body.access_token).perms).toEqual(['notification', 'storage']);
    await t.dataSource.query(`DELETE FROM installation.installation_permissions WHERE permission_id = $1`, [foreign.id]);
  });
});
