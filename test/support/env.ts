import { parseConfig, type Config, type ServiceName } from '../../src/config/config';

export const TEMPLATE_DATABASE = 'cathouse_test_template';

/** The maintenance URL of the test server, set by global-setup. */
export function adminUrl(): string {
  const url = process.env.TEST_ADMIN_URL;
  if (!url) throw new Error('TEST_ADMIN_URL is not set: run the tests through jest (npm test), whose global setup starts PostgreSQL');
  return url;
}

export function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

/**
 * A Config for tests, built from explicit variables rather than the developer's environment
 * or `.env`: fast bcrypt, silent logs, and whatever the test overrides.
 */
export function testConfig(env: Record<string, string | undefined> = {}): Config {
  return parseConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    BCRYPT_COST: '4',
    TOKEN_SECRET: 'test-secret-test-secret-test-secret-0123',
    // The global setup's migration creates the service roles (with these passwords) on the test server.
    MIGRATION_CREATE_ROLES: 'true',
    DB_ROLE_AUTH_PASSWORD: TEST_ROLE_PASSWORDS.auth,
    DB_ROLE_CATALOG_PASSWORD: TEST_ROLE_PASSWORDS.catalog,
    DB_ROLE_INSTALLATION_PASSWORD: TEST_ROLE_PASSWORDS.installation,
    DB_ROLE_PROXY_PASSWORD: TEST_ROLE_PASSWORDS.proxy,
    // Test files register many users from one address, some at once; the registration limits and the hash bound have tests of their own.
    REGISTER_MAX_PER_IP: '1000000',
    REGISTER_MAX_GLOBAL: '1000000',
    REGISTER_MAX_HASHES_IN_FLIGHT: '1000',
    // Test addresses use the reserved .example TLD (RFC 2606), which the service refuses by default
    // (EMAIL_REFUSED_TLDS); the refusal itself is tested with the default list (test/account/erasure.test.ts).
    EMAIL_REFUSED_TLDS: 'invalid,localhost,test',
    // Flows ask for several mails to one address in a row; the debounce has a test of its own (test/account/mail-limits.test.ts).
    MAIL_ADDRESS_DEBOUNCE_SECONDS: '0',
    ...env,
  });
}

/** Passwords of the service roles on the test server (roles are the default ones: cathouse_auth, ...). */
export const TEST_ROLE_PASSWORDS: Readonly<Record<ServiceName, string>> = {
  auth: 'test-auth-role-password',
  catalog: 'test-catalog-role-password',
  installation: 'test-installation-role-password',
  proxy: 'test-proxy-role-password',
};

/** `url` (a test database) as the login role of `service`, as that service would connect. */
export function asServiceRole(url: string, service: ServiceName): string {
  const parsed = new URL(url);
  parsed.username = testConfig().roles.services[service].name;
  parsed.password = TEST_ROLE_PASSWORDS[service];
  return parsed.toString();
}
