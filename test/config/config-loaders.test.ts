import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { ConfigError, parseConfig, parseMigrationConfig } from '../../src/config/config';
import { start } from '../migrator/support/cli';
import { createTestDatabase, type TestDatabase } from '../support/database';

const errorOf = (parse: () => unknown): ConfigError => {
  try {
    parse();
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected a ConfigError');
};

/** Issue 21: each command validates only what it uses. */
describe('the runtime and the migration job read separate environments', () => {
  const migrationEnv = { NODE_ENV: 'production', MIGRATION_DATABASE_URL: 'postgres://owner:pw@db.example.com:5432/cathouse' };

  it('the migration job needs no signing key, TOKEN_SECRET, DATABASE_URL or SMTP_URL in production', () => {
    const config = parseMigrationConfig(migrationEnv);
    expect(config).toMatchObject({ env: 'production', db: { migrationUrl: migrationEnv.MIGRATION_DATABASE_URL, url: undefined } });
    expect(Object.isFrozen(config.db)).toBe(true);
  });

  it("the migration job does not even look at the runtime's variables (a bad SMTP_URL or key is not its business)", () => {
    expect(() => parseMigrationConfig({ ...migrationEnv, SMTP_URL: 'not-a-url', JWT_PRIVATE_KEY: '"quoted"', TOKEN_SECRET: 'short', PORT: 'x' })).not.toThrow();
  });

  it('the migration job in production without MIGRATION_DATABASE_URL: one line naming it', () => {
    const err = errorOf(() => parseMigrationConfig({ NODE_ENV: 'production', DATABASE_URL: 'postgres://app:pw@pooler:6432/cathouse' }));
    expect(err.variable).toBe('MIGRATION_DATABASE_URL');
    expect(err.message).toMatch(/^MIGRATION_DATABASE_URL: required when NODE_ENV=production .*direct endpoint/);
    expect(err.message).not.toContain('\n');
  });

  it('the runtime never needs the owner URL', () => {
    const config = parseConfig({
      NODE_ENV: 'production',
      DATABASE_URL: 'postgres://app:pw@pooler:6432/cathouse',
      JWT_PRIVATE_KEY_FILE: '/run/secrets/jwt',
      TOKEN_SECRET: 'x'.repeat(32),
      SMTP_URL: 'smtp://mail:25',
      OIDC_ISSUER: 'https://auth.example.com/oidc',
    });
    expect(config.db.migrationUrl).toBeUndefined();
  });

  describe('as processes, with only the migration environment', () => {
    let db: TestDatabase;
    beforeAll(async () => {
      db = await createTestDatabase();
    });
    afterAll(() => db.drop());
    // NODE_ENV=production and nothing of the runtime: no key, no TOKEN_SECRET (cliEnv's is blanked), no SMTP, no DATABASE_URL.
    const env = () => ({ NODE_ENV: 'production', TOKEN_SECRET: '', MIGRATION_DATABASE_URL: db.url });

    it('npm run migrate -- status and up run', async () => {
      const status = await start('node', ['-r', './src/cli/register-ts.js', 'src/cli/main.ts', 'status', '--json'], env()).done;
      expect({ code: status.code, stderr: status.stderr }).toEqual({ code: 0, stderr: '' });
      const up = await start('node', ['-r', './src/cli/register-ts.js', 'src/cli/main.ts', 'up'], env()).done;
      expect(up.code).toBe(0);
    });

    it('npm run admin -- promote and clients list run', async () => {
      const client = new Client({ connectionString: db.url });
      await client.connect();
      await client.query(`INSERT INTO auth.users (email, password_hash) VALUES ('ops@cathouse.example', 'x')`);
      await client.end();
      const admin = (...args: string[]) => start('node', ['-r', './src/cli/register-ts.js', 'src/cli/admin/main.ts', ...args], env()).done;
      const promoted = await admin('promote', 'ops@cathouse.example');
      expect({ code: promoted.code, stderr: promoted.stderr }).toEqual({ code: 0, stderr: '' });
      const listed = await admin('clients', 'list');
      expect({ code: listed.code, stderr: listed.stderr }).toEqual({ code: 0, stderr: '' });
    });
  });
});

describe('secrets from files (*_FILE)', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'cathouse-secrets-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('TOKEN_SECRET_FILE and MIGRATION_DATABASE_URL_FILE are read, one trailing newline dropped', async () => {
    await writeFile(path.join(dir, 'token'), `${'s'.repeat(40)}\n`);
    await writeFile(path.join(dir, 'url'), 'postgres://owner:pw@db:5432/cathouse\n');
    expect(parseConfig({ TOKEN_SECRET_FILE: path.join(dir, 'token') }).auth.tokenSecret).toBe('s'.repeat(40));
    expect(parseMigrationConfig({ MIGRATION_DATABASE_URL_FILE: path.join(dir, 'url') }).db.migrationUrl).toBe('postgres://owner:pw@db:5432/cathouse');
  });

  it('both set, or an unreadable file: one line naming the variable', () => {
    const both = errorOf(() => parseConfig({ TOKEN_SECRET: 'x'.repeat(32), TOKEN_SECRET_FILE: path.join(dir, 'token') }));
    expect(both.message).toBe('TOKEN_SECRET: set either TOKEN_SECRET or TOKEN_SECRET_FILE, not both');
    const missing = errorOf(() => parseConfig({ SMTP_URL_FILE: path.join(dir, 'nope') }));
    expect(missing.message).toMatch(/^SMTP_URL_FILE: cannot read .*nope \(ENOENT\)/);
  });
});
