import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import request from 'supertest';
import { useTestApp } from '../support/app';
import { register, uniqueEmail } from '../auth/helpers';
import { createCat, install, serviceClient } from '../auth/installations';

/**
 * The verification code of docs/verifying-tokens.md, taken from the document itself (so it cannot
 * drift), run against the running service: Python with Debian's PyJWT (/usr/bin/python3) and Node
 * with jose, for a user, a service and an installation token, each accepted as its own kind and
 * refused as the other two.
 */
const ROOT = path.resolve(__dirname, '../..');
const TOKEN = '/api/v1/auth/token';
const basic = (id: string, secret: string) => ({ Authorization: `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}` });

async function codeBlock(language: string): Promise<string> {
  const doc = await readFile(path.join(ROOT, 'docs/verifying-tokens.md'), 'utf8');
  const match = new RegExp('```' + language + '\\n([\\s\\S]*?)```').exec(doc);
  if (!match) throw new Error(`docs/verifying-tokens.md has no ${language} block`);
  return match[1]!;
}

/** Runs a program asynchronously (the service answers its JWKS requests from this same process). */
function run(command: string, args: string[], input: string, env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env: { ...process.env, ...env }, cwd: ROOT });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(input);
  });
}

interface Case {
  as: 'user' | 'service' | 'installation';
  token: string;
  scope?: string;
  cat_id?: string;
  permission?: string;
}

const PYTHON_DRIVER = `
import json, sys
results = []
for case in json.load(sys.stdin):
    try:
        if case["as"] == "user":
            claims = verify_user(case["token"])
        elif case["as"] == "service":
            claims = verify_service(case["token"], case["scope"])
        else:
            claims = verify_installation(case["token"], case["cat_id"], case.get("permission"))
        results.append({"ok": True, "sub": claims["sub"]})
    except jwt.InvalidTokenError as e:
        results.append({"ok": False, "error": type(e).__name__})
print(json.dumps(results))
`;

const NODE_DRIVER = `
let input = '';
for await (const chunk of process.stdin) input += chunk;
const results = [];
for (const c of JSON.parse(input)) {
  try {
    const claims = c.as === 'user' ? await verifyUser(c.token) : c.as === 'service' ? await verifyService(c.token, c.scope) : await verifyInstallation(c.token, c.cat_id, c.permission);
    results.push({ ok: true, sub: claims.sub });
  } catch (e) {
    results.push({ ok: false, error: e.code ?? e.message });
  }
}
console.log(JSON.stringify(results));
`;

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
