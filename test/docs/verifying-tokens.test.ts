import { randomBytes } from 'node:crypto';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import request from 'supertest';
import { useTestApp } from '../support/app';
import { register, uniqueEmail } from '../auth/helpers';
import { createCat, install, serviceClient } from '../auth/installations';
import { codeBlock, NODE_DRIVER, PYTHON_DRIVER, run, type Case } from '../support/verifying-tokens-doc';

/**
 * The verification code of docs/verifying-tokens.md, taken from the document itself (so it cannot
 * drift), run against the running service: Python with Debian's PyJWT (/usr/bin/python3) and Node
 * with jose, for a user, a service and an installation token, each accepted as its own kind and
 * refused as the other two.
 */
const ROOT = path.resolve(__dirname, '../..');
const TOKEN = '/api/v1/auth/token';
const basic = (id: string, secret: string) => ({ Authorization: `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}` });

describe('docs/verifying-tokens.md: the Python and Node examples verify the three kinds against the running service', () => {
  const t = useTestApp();
  let server: Server;
  let env: Record<string, string>;
  let cases: Case[];
  let expected: { ok: boolean; sub?: string }[];

  beforeAll(async () => {
    server = t.app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    env = { CATHOUSE_AUTH_URL: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, CATHOUSE_ISSUER: t.config.auth.issuer };

    const proxy = (await serviceClient(t.dataSource, 'proxy', ['installations:exchange'])).clientSecret;
    const catalog = (await serviceClient(t.dataSource, 'catalog', ['users:read'])).clientSecret;
    const player = await register(t.app, uniqueEmail('player'));
    const catId = await createCat(t.dataSource, player.user.id);
    const installationId = await install(t.dataSource, player.user.id, catId, { asked: ['storage', 'notification'], granted: ['storage'] });
    const service = (await request(t.app).post(TOKEN).set(basic('catalog', catalog)).type('form').send({ grant_type: 'client_credentials' })).body.access_token;
    const installation = (
      await request(t.app).post(TOKEN).set(basic('proxy', proxy)).type('form').send({
        grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
        subject_token: player.access_token,
        subject_token_type: 'urn:ietf:params:oauth:token-type:access_token',
        installation_id: installationId,
      })
    ).body.access_token;
    const user = player.access_token;
    const tampered = `${user.slice(0, -4)}AAAA`;

    cases = [
      { as: 'user', token: user },
      { as: 'service', token: service, scope: 'users:read' },
      { as: 'installation', token: installation, cat_id: catId, permission: 'storage' },
      // Each kind presented as the others, a scope and a permission not granted, a forgery.
      { as: 'user', token: service },
      { as: 'user', token: installation },
      { as: 'service', token: user, scope: 'users:read' },
      { as: 'service', token: installation, scope: 'users:read' },
      { as: 'installation', token: user, cat_id: catId },
      { as: 'installation', token: service, cat_id: catId },
      { as: 'service', token: service, scope: 'users:write' },
      { as: 'installation', token: installation, cat_id: catId, permission: 'notification' },
      { as: 'user', token: tampered },
    ];
    expected = [
      { ok: true, sub: player.user.id },
      { ok: true, sub: 'catalog' },
      { ok: true, sub: player.user.id },
      ...Array(9).fill({ ok: false }),
    ];
  });
  afterAll(() => new Promise((resolve) => server.close(resolve)));

  it('Python: PyJWT with PyJWKClient, ES256 pinned, iss, aud and typ checked', async () => {
    const program = (await codeBlock('python')) + PYTHON_DRIVER;
    const { code, stdout, stderr } = await run('/usr/bin/python3', ['-c', program], JSON.stringify(cases), env);
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    const results = JSON.parse(stdout) as { ok: boolean }[];
    expect(results).toMatchObject(expected);
  });

  it('Node: jose with createRemoteJWKSet and jwtVerify', async () => {
    const dir = path.join(ROOT, 'test-artifacts');
    await mkdir(dir, { recursive: true });
    // Inside the repository, so that `import 'jose'` resolves from node_modules.
    const file = path.join(dir, `verify-${randomBytes(4).toString('hex')}.mjs`);
    await writeFile(file, (await codeBlock('js')) + NODE_DRIVER);
    try {
      const { code, stdout, stderr } = await run(process.execPath, [file], JSON.stringify(cases), env);
      expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
      expect(JSON.parse(stdout)).toMatchObject(expected);
    } finally {
      await rm(file, { force: true });
    }
  });
});
