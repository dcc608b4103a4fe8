import { ConfigError, parseConfig, parseMigrationConfig } from '../../src/config/config';
import { configWarnings } from '../../src/config/start-warnings';
import { describeStartError } from '../../src/db/start-checks';
import { generateSigningKeyPem } from '../../src/auth/tokens/signing-keys';
import { createSigningKey, productionEnv, startServiceProcess, type SigningKey } from '../reliability/support/service-process';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { asServiceRole } from '../support/env';
import { spawnInRepo } from '../support/processes';

const errorOf = (parse: () => unknown): ConfigError => {
  try {
    parse();
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected a ConfigError');
};

const PRODUCTION = {
  NODE_ENV: 'production',
  DATABASE_URL: 'postgres://app:pw@pooler.example.com:6432/cathouse',
  JWT_PRIVATE_KEY_FILE: '/run/secrets/jwt',
  TOKEN_SECRET: 'x'.repeat(40),
  SMTP_URL: 'smtp://mail.example.com:587',
  APP_URL: 'https://app.example.com',
  MAIL_FROM: 'Cat House <no-reply@example.com>',
  // Production requires the OpenID provider's https issuer (issue 27).
  OIDC_ISSUER: 'https://auth.example.com/oidc',
};
const warningsFor = (env: Record<string, string>) => configWarnings(parseConfig(env), env).map((w) => w.message);

/** Issue 21, item 5: each papercut is one line naming the variable and the fix, or a start-up warning. */
describe('operator papercuts', () => {
  it('a value wrapped in quotes (docker --env-file keeps them) is refused in one line that says so', () => {
    const err = errorOf(() => parseConfig({ JWT_PRIVATE_KEY: `"${generateSigningKeyPem().replace(/\n/g, '\\n')}"` }));
    expect(err.message).toBe('JWT_PRIVATE_KEY: the value is wrapped in quotes (docker --env-file and compose env_file keep them): remove the quotes, or put the key in a file and set JWT_PRIVATE_KEY_FILE');
    expect(errorOf(() => parseMigrationConfig({ MIGRATION_DATABASE_URL: "'postgres://o:p@db/x'" })).variable).toBe('MIGRATION_DATABASE_URL');
  });

  it('a password with an unencoded / (getaddrinfo ENOTFOUND ss) names the variable and the encoding', () => {
    for (const [parse, variable] of [
      [() => parseConfig({ DATABASE_URL: 'postgres://app:p@ss/word@db.example.com:5432/cathouse' }), 'DATABASE_URL'],
      [() => parseMigrationConfig({ MIGRATION_DATABASE_URL: 'postgres://owner:pa/ss@db.example.com/cathouse' }), 'MIGRATION_DATABASE_URL'],
    ] as const) {
      const err = errorOf(parse);
      expect(err.variable).toBe(variable);
      expect(err.message).toMatch(new RegExp(`^${variable}: the user name or password holds a character that must be percent-encoded .*%2F.*encodeURIComponent`));
    }
    // Encoded, the same password is fine; an @ alone parses the same way everywhere and is left alone.
    expect(parseConfig({ DATABASE_URL: 'postgres://app:p%40ss%2Fword@db.example.com:5432/cathouse' }).db.url).toContain('p%40ss%2Fword');
    expect(parseConfig({ DATABASE_URL: 'postgres://app:p@ss@db.example.com:5432/cathouse' }).db.url).toBeDefined();
  });

  it("Neon's sslmode=require&channel_binding=require runs as verify-full without pg's nine-line warning, and says so in one line each", () => {
    const url = 'postgres://app:pw@ep-cool-name-123-pooler.eu-central-1.aws.neon.tech/cathouse?sslmode=require&channel_binding=require';
    const config = parseConfig({ ...PRODUCTION, DATABASE_URL: url });
    expect(config.db.url).toBe(url.replace('sslmode=require', 'sslmode=verify-full'));
    const warnings = warningsFor({ ...PRODUCTION, DATABASE_URL: url });
    expect(warnings).toEqual([expect.stringMatching(/^DATABASE_URL: sslmode=require is checked as verify-full .*sslrootcert/), expect.stringMatching(/^DATABASE_URL: channel_binding=require is not enforced/)]);
    // libpq's meaning, asked for explicitly, is left alone.
    expect(parseConfig({ DATABASE_URL: 'postgres://a:b@h/d?uselibpqcompat=true&sslmode=require' }).db.url).toContain('sslmode=require');
  });

  it("warns when the runtime uses Neon's direct endpoint instead of -pooler", () => {
    expect(warningsFor({ ...PRODUCTION, DATABASE_URL: 'postgres://app:pw@ep-cool-name-123.eu-central-1.aws.neon.tech/cathouse' })).toEqual([
      expect.stringMatching(/^DATABASE_URL: ep-cool-name-123\.eu-central-1\.aws\.neon\.tech is Neon's direct endpoint; .*ep-cool-name-123-pooler\.eu-central-1/),
    ]);
    expect(warningsFor({ ...PRODUCTION, DATABASE_URL: 'postgres://app:pw@ep-cool-name-123-pooler.eu-central-1.aws.neon.tech/cathouse' })).toEqual([]);
  });

  it('warns about APP_URL and MAIL_FROM on localhost, and the owner URL in the runtime, in production only', () => {
    const local = { APP_URL: 'http://localhost:5173', MAIL_FROM: 'Cat House <no-reply@localhost>', MIGRATION_DATABASE_URL: 'postgres://owner:pw@db:5432/cathouse' };
    expect(warningsFor({ ...PRODUCTION, ...local })).toEqual([
      expect.stringMatching(/^MIGRATION_DATABASE_URL is set in the service's environment/),
      expect.stringMatching(/^APP_URL: http:\/\/localhost:5173 is on this machine/),
      expect.stringMatching(/^MAIL_FROM: .* is not a deliverable sender/),
    ]);
    expect(warningsFor({ ...local })).toEqual([]);
    expect(warningsFor(PRODUCTION)).toEqual([]);
  });

  it('TLS refusals at start are one configuration line (exit 2), not a stack', () => {
    const err = Object.assign(new Error('self-signed certificate in certificate chain'), { code: 'SELF_SIGNED_CERT_IN_CHAIN' });
    expect(describeStartError(err)).toEqual({ configuration: true, line: expect.stringMatching(/^DATABASE_URL: the database's TLS certificate was refused \(self-signed certificate in certificate chain\): .*sslrootcert=/) });
  });

  describe('against a real server', () => {
    let db: TestDatabase;
    let key: SigningKey;
    beforeAll(async () => {
      [db, key] = await Promise.all([createTestDatabase(), createSigningKey()]);
    });
    afterAll(async () => {
      await db.drop();
      await key.remove();
    });

    it('sslmode=require on a server without TLS: one line naming DATABASE_URL, exit 2, and no pg SECURITY WARNING', async () => {
      const env = productionEnv({ databaseUrl: `${db.url}?sslmode=require`, key }) as Record<string, string>;
      const app = spawnInRepo('node', ['-r', '@swc-node/register', 'src/main.ts'], { ...env, PORT: '0', LOG_LEVEL: 'error' });
      expect(await app.exited).toBe(2);
      expect(app.output().trim().split('\n')).toEqual([expect.stringMatching(/^configuration error: DATABASE_URL: The server does not support SSL connections: remove sslmode/)]);
      expect(app.output()).not.toContain('SECURITY WARNING');
    });

    it('warns at start when the runtime connects as a superuser or the schema owner, not as its own role', async () => {
      const owner = await startServiceProcess({ env: productionEnv({ databaseUrl: db.url, key, extra: { LOG_LEVEL: 'warn' } }) });
      await owner.stop();
      expect(owner.output()).toMatch(/"variable":"DATABASE_URL".*connects as \w+, (a superuser|the owner of schema auth): the service should run as its own role \(DB_ROLE_AUTH=cathouse_auth/);
      const own = await startServiceProcess({ env: productionEnv({ databaseUrl: asServiceRole(db.url, 'auth'), key, extra: { LOG_LEVEL: 'warn' } }) });
      await own.stop();
      expect(own.output()).not.toContain('"variable":"DATABASE_URL"');
    });
  });
});
