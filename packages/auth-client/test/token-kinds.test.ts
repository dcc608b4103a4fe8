import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import request from 'supertest';
import {
  createInstallationVerifier,
  createServiceVerifier,
  createVerifier,
  requireAuth,
  requireInstallation,
  requireRole,
  requireScope,
} from '@cathouse/auth-client';
import { useTestApp } from '../../../test/support/app';
import { register, registerDeveloper, uniqueEmail } from '../../../test/auth/helpers';
import { createCat, install, serviceClient } from '../../../test/auth/installations';

const TOKEN = '/api/v1/auth/token';
const basic = (id: string, secret: string) => ({ Authorization: `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}` });

describe('@cathouse/auth-client: user, service and installation tokens, each with its own guard', () => {
  const t = useTestApp();
  let server: Server;
  let jwksUri: string;
  const tokens: Record<'user' | 'service' | 'installation' | 'otherCat', string> = { user: '', service: '', installation: '', otherCat: '' };
  let catId: string;

  beforeAll(async () => {
    server = t.app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    jwksUri = `http://127.0.0.1:${(server.address() as AddressInfo).port}/.well-known/jwks.json`;
    const proxy = (await serviceClient(t.dataSource, 'proxy', ['installations:exchange'])).clientSecret;
    const catalog = (await serviceClient(t.dataSource, 'catalog', ['users:read'])).clientSecret;
    const player = await register(t.app, uniqueEmail('player'));
    const developer = await registerDeveloper(t, uniqueEmail('dev'));
    catId = await createCat(t.dataSource, developer.user.id);
    const otherCatId = await createCat(t.dataSource, developer.user.id);
    const exchange = async (installationId: string) =>
      (
        await request(t.app).post(TOKEN).set(basic('proxy', proxy)).type('form').send({
          grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
          subject_token: player.access_token,
          subject_token_type: 'urn:ietf:params:oauth:token-type:access_token',
          installation_id: installationId,
        })
      ).body.access_token as string;
    tokens.user = developer.access_token;
    tokens.service = (await request(t.app).post(TOKEN).set(basic('catalog', catalog)).type('form').send({ grant_type: 'client_credentials' })).body.access_token;
    tokens.installation = await exchange(await install(t.dataSource, player.user.id, catId, { asked: ['storage', 'notification'], granted: ['storage'] }));
    tokens.otherCat = await exchange(await install(t.dataSource, player.user.id, otherCatId));
  });
  afterAll(() => new Promise((resolve) => server.close(resolve)));

  const verifiers = () => {
    const common = { jwksUri, issuer: 'cathouse-auth' };
    const user = createVerifier({ ...common, audience: 'cathouse' });
    // One JWKS cache shared by the three verifiers.
    const service = createServiceVerifier({ ...common, audience: 'cathouse-services', jwks: user.jwks });
    const installation = createInstallationVerifier({ ...common, catId, jwks: user.jwks });
    return { user, service, installation };
  };

  it('each verifier accepts its own kind and refuses the two others (audience separation)', async () => {
    const v = verifiers();
    expect(await v.user.verify(tokens.user)).toMatchObject({ kind: 'user', role: 'developer' });
    expect(await v.service.verify(tokens.service)).toMatchObject({ kind: 'service', sub: 'catalog', scopes: ['users:read'] });
    expect(await v.installation.verify(tokens.installation)).toMatchObject({ kind: 'installation', cat_id: catId, perms: ['storage'], act: { sub: 'proxy' } });
    const refused = async (verify: (t: string) => Promise<unknown>, token: string) => verify(token).then(() => 'accepted', (e: { code: string }) => e.code);
    expect(await refused(v.user.verify, tokens.service)).toBe('invalid_token');
    expect(await refused(v.user.verify, tokens.installation)).toBe('invalid_token');
    expect(await refused(v.service.verify, tokens.user)).toBe('invalid_token');
    expect(await refused(v.service.verify, tokens.installation)).toBe('invalid_token');
    expect(await refused(v.installation.verify, tokens.user)).toBe('invalid_token');
    expect(await refused(v.installation.verify, tokens.service)).toBe('invalid_token');
    // Another cat's installation token is not this cat's.
    expect(await refused(v.installation.verify, tokens.otherCat)).toBe('invalid_token');
    expect(v.user.jwks.fetches).toBe(1);
  });

  it('guards: requireRole, requireScope and requireInstallation each pass only their own kind', async () => {
    const v = verifiers();
    const app = express();
    app.use(requireAuth(v.user, v.service, v.installation));
    const ok = (_req: express.Request, res: express.Response) => {
      res.json({ ok: true });
    };
    app.get('/developer', requireRole('developer'), ok);
    app.get('/users', requireScope('users:read'), ok);
    app.get('/users-write', requireScope('users:write'), ok);
    app.get('/storage', requireInstallation({ permission: 'storage' }), ok);
    app.get('/notify', requireInstallation({ permission: 'notification' }), ok);
    app.get('/any-installation', requireInstallation(), ok);

    const status = async (path: string, kind: keyof typeof tokens) => (await request(app).get(path).set('Authorization', `Bearer ${tokens[kind]}`)).status;
    const matrix: Record<string, Record<string, number>> = {};
    for (const path of ['/developer', '/users', '/storage', '/any-installation']) {
      matrix[path] = {};
      for (const kind of ['user', 'service', 'installation'] as const) matrix[path][kind] = await status(path, kind);
    }
    expect(matrix).toEqual({
      '/developer': { user: 200, service: 403, installation: 403 },
      '/users': { user: 403, service: 200, installation: 403 },
      '/storage': { user: 403, service: 403, installation: 200 },
      '/any-installation': { user: 403, service: 403, installation: 200 },
    });
    // A scope not granted, a permission not granted (asked by the cat, not granted by the user): 403.
    expect(await status('/users-write', 'service')).toBe(403);
    expect(await status('/notify', 'installation')).toBe(403);
    // Another cat's token matches no verifier here: 401.
    expect(await status('/storage', 'otherCat')).toBe(401);
  });
});
