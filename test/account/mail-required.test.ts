import { generateSigningKeyPem } from '../../src/auth/tokens/signing-keys';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { signalGroup, spawnInRepo, type Spawned } from '../support/processes';

/**
 * Issue 22 M2: with a real database (DATABASE_URL) and NODE_ENV unset, the service used to start
 * without SMTP_URL and write every reset and verification link, token included, to its log. Now it
 * stops with one line, as it does without its keys. (The embedded database's .eml fallback, whose
 * log names the file and never the link, is test/account/whole-flow-npm-start.test.ts.)
 */
describe('SMTP_URL with DATABASE_URL', () => {
  let db: TestDatabase;
  const running: Spawned[] = [];
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    running.forEach((p) => signalGroup(p, 'SIGKILL'));
    await db.drop();
  });

  it('is required whatever NODE_ENV says: one line naming SMTP_URL, exit code 2, nothing started', async () => {
    const app = spawnInRepo('node', ['-r', '@swc-node/register', 'src/main.ts'], {
      DATABASE_URL: db.url,
      // Unset (jest's own NODE_ENV=test would otherwise pass through): spawn leaves out undefined values.
      NODE_ENV: undefined as unknown as string,
      PORT: '0',
      HOST: '127.0.0.1',
      JWT_PRIVATE_KEY: generateSigningKeyPem().replace(/\n/g, '\\n'),
      TOKEN_SECRET: 'mail-required-secret-mail-required-secret',
    });
    running.push(app);
    let timer: NodeJS.Timeout | undefined;
    const exited = await Promise.race([app.exited, new Promise((resolve) => (timer = setTimeout(() => resolve('still running after 20 s'), 20_000)))]);
    clearTimeout(timer);
    expect(exited).toBe(2);
    expect(app.output().trim().split('\n')).toEqual([
      expect.stringMatching(/^configuration error: SMTP_URL: required when DATABASE_URL is set \(e\.g\. smtps:\/\/user:password@smtp\.example\.com:465\); mail goes to \.eml files only with the embedded development database$/),
    ]);
  });
});
