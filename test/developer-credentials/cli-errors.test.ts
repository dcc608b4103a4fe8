/**
 * The reference CLI's failures: each one line on stderr naming the problem and the fix, with exit
 * code 2 for usage and 1 for the rest; the server's stable code shown in brackets. Driven through
 * main() in process against the real service (test/browser/cli-device-login.test.ts runs the bin).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { main } from '../../packages/cli/src/main';
import { saveSession } from '../../packages/cli/src/credentials';
import { registerDeveloper, uniqueEmail } from '../auth/helpers';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { findFreePort } from '../support/ports';
import { listen, PASSWORD, type Listening } from './support';

let db: TestDatabase;
let stack: Listening;
let configDir: string;

beforeAll(async () => {
  db = await createTestDatabase();
  stack = await listen(db.url);
});
afterAll(async () => {
  await stack?.close();
  await db?.drop();
});
beforeEach(async () => {
  configDir = await mkdtemp(path.join(tmpdir(), 'cathouse-cli-'));
});
afterEach(async () => {
  await rm(configDir, { recursive: true, force: true });
});

async function cathouse(argv: string[], env: Record<string, string> = {}): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(argv, {
    env: { CATHOUSE_CONFIG_DIR: configDir, CATHOUSE_SERVER: stack.url, ...env },
    stdout: { write: (text: string) => (out += text) },
    stderr: { write: (text: string) => (err += text) },
  });
  return { code, out, err };
}

/** A developer's session stored as `cathouse login` stores it. */
async function loggedIn(): Promise<string> {
  const body = await registerDeveloper(stack.t, uniqueEmail('dev'), PASSWORD);
  await saveSession({ CATHOUSE_CONFIG_DIR: configDir }, {
    server: stack.url,
    access_token: body.access_token,
    refresh_token: body.refresh_token,
    access_token_expires_at: Math.floor(Date.now() / 1000) + 600,
  });
  return body.user.id;
}

it('usage errors exit 2 with one line: no command, an unknown one, an unknown option, an option without its value, a server that is not https or no URL', async () => {
  const results = [
    await cathouse([]),
    await cathouse(['publish']),
    await cathouse(['whoami', '--verbose']),
    await cathouse(['tokens', 'create', '--name']),
    await cathouse(['login', '--server', 'http://auth.cathouse.example']),
    await cathouse(['login', '--server', 'not a url']),
  ];
  expect(results.map((r) => r.code)).toEqual([2, 2, 2, 2, 2, 2]);
  expect(results[0]!.out).toContain('usage: cathouse <command>');
  expect(results.slice(1).map((r) => r.err)).toEqual([
    'cathouse: unknown command publish: run cathouse help\n',
    'cathouse: unknown option --verbose (this command takes --server, --json)\n',
    'cathouse: --name needs a value (e.g. --name=...)\n',
    'cathouse: http://auth.cathouse.example is not https: tokens would cross the network in clear; use the https address of the auth service\n',
    "cathouse: --server not a url is not a URL: give the auth service's address, e.g. https://auth.cathouse.example\n",
  ]);
});

it('not logged in, a damaged credentials file, an unreachable server: one line each, exit 1', async () => {
  const notLoggedIn = await cathouse(['tokens', 'list']);
  await writeFile(path.join(configDir, 'credentials.json'), '{"server":');
  const damaged = await cathouse(['whoami']);
  const port = await findFreePort();
  const unreachable = await cathouse(['whoami'], { CATHOUSE_TOKEN: 'chp_x', CATHOUSE_SERVER: `http://127.0.0.1:${port}` });
  expect([notLoggedIn, damaged, unreachable].map((r) => r.code)).toEqual([1, 1, 1]);
  expect(notLoggedIn.err).toBe('cathouse: not logged in: run cathouse login\n');
  expect(damaged.err).toBe(`cathouse: ${path.join(configDir, 'credentials.json')} is not valid JSON: delete it and run cathouse login again\n`);
  expect(unreachable.err).toMatch(new RegExp(`^cathouse: cannot reach http://127\\.0\\.0\\.1:${port} \\(.*\\): check --server or CATHOUSE_SERVER and your network\\n$`));
});

it("the server's refusals come through as one line with its code", async () => {
  const userId = await loggedIn();
  const badPat = await cathouse(['whoami'], { CATHOUSE_TOKEN: 'chp_notatokenatallnotatokenatall000000' });
  const noExpiry = await cathouse(['tokens', 'create', '--name', 'CI', '--scope', 'cats:publish']);
  const beyondRole = await cathouse(['tokens', 'create', '--name', 'CI', '--scope', 'users:admin', '--expires-in', '30d']);
  await stack.t.dataSource.query(`UPDATE auth.sessions SET created_at = now() - interval '1 hour' WHERE user_id = $1`, [userId]);
  const stale = await cathouse(['tokens', 'create', '--name', 'CI', '--scope', 'cats:publish', '--expires-in', '30d']);
  expect([badPat, noExpiry, beyondRole, stale].map((r) => r.code)).toEqual([1, 2, 1, 1]);
  expect(badPat.err).toBe('cathouse: subject_token: not a personal access token (wrong prefix, length or checksum). (invalid_request)\n');
  expect(noExpiry.err).toBe('cathouse: a token needs an expiry: --expires-in 30d (days, h hours, m minutes) or --expires-at 2027-01-31T00:00:00Z\n');
  expect(beyondRole.err).toMatch(/^cathouse: Unknown scope users:admin; the scopes are .* \(invalid_scope\)\n$/);
  expect(stale.err).toBe('cathouse: creating a token needs a recent sign-in: run cathouse login, then try again\n');
  for (const r of [badPat, noExpiry, beyondRole, stale]) expect(r.err.split('\n')).toHaveLength(2);
});
