import { ConfigError, parseConfig } from '../src/config/config';

const errorOf = (env: Record<string, string>) => {
  try {
    parseConfig(env);
  } catch (err) {
    return err as ConfigError;
  }
  throw new Error('expected a ConfigError');
};

describe('configuration', () => {
  it('has working defaults for development with no variables at all', () => {
    const config = parseConfig({});
    expect(config).toMatchObject({
      env: 'development',
      http: { port: 3000, jsonBodyLimit: '16kb' },
      db: { url: undefined, migrationUrl: undefined, poolMax: 10 },
      embedded: { dataDir: '.data', port: 54329 },
      auth: { accessTokenTtlSeconds: 900, refreshReuseIntervalSeconds: 10, bcryptCost: 12 },
    });
    expect(Object.isFrozen(config.db)).toBe(true);
  });

  it('treats empty values as unset, as .env files write them', () => {
    expect(parseConfig({ DATABASE_URL: '', PORT: '4000' }).db.url).toBeUndefined();
  });

  it.each([
    [{ DATABASE_URL: 'not-a-url' }, 'DATABASE_URL', /expected a URL like postgres:\/\//],
    [{ MIGRATION_DATABASE_URL: 'mysql://x@h/db' }, 'MIGRATION_DATABASE_URL', /expected a URL/],
    [{ PORT: 'eighty' }, 'PORT', /expected a whole number/],
    [{ PORT: '70000' }, 'PORT', /<= 65535/],
    [{ DB_POOL_MAX: '0' }, 'DB_POOL_MAX', />= 1/],
    [{ NODE_ENV: 'staging' }, 'NODE_ENV', /development|production/],
    [{ REFRESH_TOKEN_COOKIE: 'maybe' }, 'REFRESH_TOKEN_COOKIE', /true or false/],
    [{ CORS_ORIGINS: 'https://app.example.com/path' }, 'CORS_ORIGINS', /origins like/],
    [{ TOKEN_SECRET: 'short' }, 'TOKEN_SECRET', /32 characters/],
    [{ TRUST_PROXY: 'true' }, 'TRUST_PROXY', /number of proxies .* or their addresses/],
    [{ TRUST_PROXY: ' TRUE ' }, 'TRUST_PROXY', /number of proxies/],
    [{ CLIENT_IPV6_PREFIX: '129' }, 'CLIENT_IPV6_PREFIX', /<= 128/],
    [{ DATABASE_READ_URL: 'postgres://u:p@replica:5432/c' }, 'DATABASE_READ_URL', /set DATABASE_URL too/],
    [{ DATABASE_URL: 'postgres://u:p@db:5432/c', DATABASE_READ_URL: 'replica' }, 'DATABASE_READ_URL', /expected a URL/],
    [{ AUTH_EVENTS_RETENTION_DAYS: '7' }, 'AUTH_EVENTS_RETENTION_DAYS', />= 30/],
  ])('rejects %j naming %s', (env, variable, message) => {
    const err = errorOf(env);
    expect(err).toBeInstanceOf(ConfigError);
    expect(err.variable).toBe(variable);
    expect(err.message.startsWith(`${variable}: `)).toBe(true);
    expect(err.message).toMatch(message);
    expect(err.message).not.toContain('\n');
  });

  it('refuses production without a signing key, a token secret or a database', () => {
    expect(errorOf({ NODE_ENV: 'production' }).variable).toBe('JWT_PRIVATE_KEY');
    expect(errorOf({ NODE_ENV: 'production', JWT_PRIVATE_KEY_FILE: '/k.pem' }).variable).toBe('TOKEN_SECRET');
    expect(
      errorOf({ NODE_ENV: 'production', JWT_PRIVATE_KEY_FILE: '/k.pem', TOKEN_SECRET: 'x'.repeat(32) }).variable,
    ).toBe('DATABASE_URL');
  });

  it('refuses production without an https OIDC_ISSUER, and an issuer without a path anywhere (issue 27)', () => {
    const production = { NODE_ENV: 'production', JWT_PRIVATE_KEY_FILE: '/k.pem', TOKEN_SECRET: 'x'.repeat(32), DATABASE_URL: 'postgres://u:p@db:5432/c', SMTP_URL: 'smtp://mail:587' };
    expect(errorOf(production).message).toMatch(/^OIDC_ISSUER: required and https when NODE_ENV=production/);
    expect(errorOf({ ...production, OIDC_ISSUER: 'http://auth.example/oidc' }).variable).toBe('OIDC_ISSUER');
    expect(errorOf({ OIDC_ISSUER: 'https://auth.example' }).message).toMatch(/^OIDC_ISSUER: expected a URL with a path/);
    expect(errorOf({ OIDC_ISSUER: 'not a url' }).variable).toBe('OIDC_ISSUER');
    expect(parseConfig({ OIDC_ISSUER: 'https://auth.example/oidc/' }).oidc.issuer).toBe('https://auth.example/oidc');
  });

  it('refuses production without SMTP_URL, in one line naming it (issue 10)', () => {
    const err = errorOf({ NODE_ENV: 'production', JWT_PRIVATE_KEY_FILE: '/k.pem', TOKEN_SECRET: 'x'.repeat(32), DATABASE_URL: 'postgres://u:p@db:5432/c' });
    expect(err.variable).toBe('SMTP_URL');
    expect(err.message).toMatch(/^SMTP_URL: required when NODE_ENV=production/);
    expect(err.message).not.toContain('\n');
    expect(errorOf({ SMTP_URL: 'http://mail.example.com' }).variable).toBe('SMTP_URL');
  });

  it('mail settings: defaults, APP_URL without a trailing slash, token placement', () => {
    const config = parseConfig({ APP_URL: 'https://app.example.com/', MAIL_LINK_TOKEN_IN: 'query' });
    expect(config.mail).toMatchObject({ smtpUrl: undefined, appUrl: 'https://app.example.com', linkTokenIn: 'query', passwordResetTtlSeconds: 1800, verifyEmailPath: '/verify-email', resetPasswordPath: '/reset-password' });
    expect(errorOf({ MAIL_LINK_TOKEN_IN: 'path' }).variable).toBe('MAIL_LINK_TOKEN_IN');
  });

  it('service and installation tokens (issue 12): defaults, and a service audience that could pass for a user or a cat is refused', () => {
    expect(parseConfig({}).tokens).toEqual({
      serviceTokenTtlSeconds: 300,
      serviceAudience: 'cathouse-services',
      installationTokenTtlSeconds: 300,
      clientSecretRotationGraceSeconds: 86_400,
      clientAuthMaxFailures: 10,
    });
    expect(() => parseConfig({ SERVICE_TOKEN_AUDIENCE: 'cathouse' })).toThrow(/^SERVICE_TOKEN_AUDIENCE: must differ from JWT_AUDIENCE/);
    expect(() => parseConfig({ JWT_AUDIENCE: 'x', SERVICE_TOKEN_AUDIENCE: 'x' })).toThrow(ConfigError);
    expect(() => parseConfig({ SERVICE_TOKEN_AUDIENCE: 'cat:1' })).toThrow(/not start with "cat:"/);
    expect(() => parseConfig({ INSTALLATION_TOKEN_TTL_SECONDS: '3600' })).toThrow(/INSTALLATION_TOKEN_TTL_SECONDS/);
  });

  it('accepts TRUST_PROXY as a hop count or a list of proxy addresses', () => {
    expect(parseConfig({ TRUST_PROXY: '1' }).http.trustProxy).toBe('1');
    expect(parseConfig({ TRUST_PROXY: 'loopback, 10.0.0.0/8' }).http.trustProxy).toBe('loopback, 10.0.0.0/8');
  });

  it('parses lists of origins', () => {
    const config = parseConfig({ CORS_ORIGINS: 'https://a.example.com, http://localhost:5173' });
    expect(config.auth.corsOrigins).toEqual(['https://a.example.com', 'http://localhost:5173']);
  });
});
