import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type * as OpenIdClient from 'openid-client' with { 'resolution-mode': 'import' };
import type { DataSource } from 'typeorm';
import { createRuntimeDataSource } from '../../src/db/runtime-data-source';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { testConfig } from '../support/env';
import { run } from '../support/verifying-tokens-doc';
import { catWithPlayer, PlayerAgent, registerClient, startOidcStack, type OidcStack } from '../oidc/support';

/**
 * The ID-token verification code of docs/oidc.md, taken from the document itself, run against real
 * ID tokens of the running provider: Python with Debian's PyJWT and Node with jose. A valid token
 * with its nonce passes; a wrong nonce, a token for another client, a forged signature and a Cat
 * House access token (not an ID token) are refused.
 */
const ROOT = path.resolve(__dirname, '../..');
let db: TestDatabase;
let stack: OidcStack;
let fixtures: DataSource;
let oidc: typeof OpenIdClient;
const REDIRECT = 'https://cat.example/callback';

async function block(language: string, containing: string): Promise<string> {
  const doc = await readFile(path.join(ROOT, 'docs/oidc.md'), 'utf8');
  const found = [...doc.matchAll(new RegExp('```' + language + '\\n([\\s\\S]*?)```', 'g'))].map((m) => m[1]!).find((code) => code.includes(containing));
  if (!found) throw new Error(`docs/oidc.md has no ${language} block with ${containing}`);
  return found;
}

const PYTHON_DRIVER = `
import sys
results = []
for case in json.load(sys.stdin):
    try:
        results.append({"ok": True, "sub": verify_id_token(case["token"], case["nonce"])["sub"]})
    except jwt.InvalidTokenError as e:
        results.append({"ok": False})
print(json.dumps(results))
`;

const NODE_DRIVER = `
let input = '';
for await (const chunk of process.stdin) input += chunk;
const results = [];
for (const c of JSON.parse(input)) {
  try {
    results.push({ ok: true, sub: (await verifyIdToken(c.token, c.nonce)).sub });
  } catch {
    results.push({ ok: false });
  }
}
console.log(JSON.stringify(results));
`;

let cases: { token: string; nonce: string }[];
let expected: { ok: boolean; sub?: string }[];
let env: Record<string, string>;

beforeAll(async () => {
  oidc = await import('openid-client');
  db = await createTestDatabase();
  fixtures = createRuntimeDataSource(db.url, testConfig().db);
  await fixtures.initialize();
  stack = await startOidcStack(db.url);
  const f = await catWithPlayer(stack, fixtures);
  const idToken = async () => {
    const c = await registerClient(stack, f.developer.token, { cat_id: f.catId, client_name: 'Purr Web', redirect_uris: [REDIRECT] });
    const config = await oidc.discovery(new URL(stack.issuer), c.client_id, c.client_secret, oidc.ClientSecretBasic(c.client_secret!), { execute: [oidc.allowInsecureRequests] });
    const verifier = oidc.randomPKCECodeVerifier();
    const nonce = oidc.randomNonce();
    const url = oidc.buildAuthorizationUrl(config, { redirect_uri: REDIRECT, scope: 'openid', code_challenge: await oidc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256', state: 'st', nonce });
    const agent = new PlayerAgent(stack.url);
    await agent.follow(url.href);
    await agent.signIn(f.player.email);
    const done = await agent.consent({ allow: true });
    const tokens = await oidc.authorizationCodeGrant(config, new URL(done.callback!), { pkceCodeVerifier: verifier, expectedState: 'st', expectedNonce: nonce });
    return { clientId: c.client_id, token: tokens.id_token!, nonce };
  };
  const mine = await idToken();
  const other = await idToken();
  const [header, payload, signature] = mine.token.split('.');
  const forged = `${header}.${payload}.${signature!.startsWith('A') ? 'B' : 'A'}${signature!.slice(1)}`;
  env = { CATHOUSE_OIDC_ISSUER: stack.issuer, CATHOUSE_CLIENT_ID: mine.clientId };
  cases = [
    { token: mine.token, nonce: mine.nonce },
    { token: mine.token, nonce: 'another sign-in' },
    { token: other.token, nonce: other.nonce },
    { token: forged, nonce: mine.nonce },
    { token: f.player.token, nonce: mine.nonce },
  ];
  expected = [{ ok: true, sub: f.player.id }, { ok: false }, { ok: false }, { ok: false }, { ok: false }];
});
afterAll(async () => {
  await stack?.close();
  await fixtures?.destroy();
  await db?.drop();
});

it('the Python example (PyJWT) accepts the ID token with its nonce and refuses the others', async () => {
  const program = (await block('python', 'def verify_id_token')) + PYTHON_DRIVER;
  const { code, stdout, stderr } = await run('/usr/bin/python3', ['-c', program], JSON.stringify(cases), env);
  expect(stderr).toBe('');
  expect(code).toBe(0);
  expect(JSON.parse(stdout)).toEqual(expected);
});

it('the Node example (jose) accepts the ID token with its nonce and refuses the others', async () => {
  const dir = path.join(ROOT, 'test-artifacts', `oidc-guide-${process.pid}`);
  await mkdir(dir, { recursive: true });
  const file = path.join(dir, 'verify.mjs');
  await writeFile(file, (await block('js', 'export async function verifyIdToken')) + NODE_DRIVER);
  try {
    const { code, stdout, stderr } = await run(process.execPath, [file], JSON.stringify(cases), env);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toEqual(expected);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
