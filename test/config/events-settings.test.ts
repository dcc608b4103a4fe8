import { parseConfig } from '../../src/config/config';

/** The security-event settings (issue 29): defaults, and one-line errors naming the variable. */
describe('EVENTS_* and SSF_* settings', () => {
  it('SSF_ISSUER defaults to the origin of OIDC_ISSUER, else http://localhost:PORT; a trailing slash is dropped', () => {
    expect(parseConfig({ OIDC_ISSUER: 'https://auth.cathouse.example/oidc' }).events.ssfIssuer).toBe('https://auth.cathouse.example');
    expect(parseConfig({ PORT: '4000' }).events.ssfIssuer).toBe('http://localhost:4000');
    expect(parseConfig({ SSF_ISSUER: 'https://signals.cathouse.example/' }).events.ssfIssuer).toBe('https://signals.cathouse.example');
  });

  it('refuses with one line naming the variable: http in production, a query, a bad network, max below base', () => {
    expect(() => parseConfig({ SSF_ISSUER: 'https://auth.cathouse.example/?x=1' })).toThrow(/^SSF_ISSUER: expected a URL without query/);
    expect(() => parseConfig({ EVENTS_ALLOWED_NETWORKS: '10.0.0.0/8,not-a-network' })).toThrow(/^EVENTS_ALLOWED_NETWORKS: "not-a-network" is not a network in CIDR form/);
    expect(() => parseConfig({ EVENTS_RETRY_BASE_MS: '5000', EVENTS_RETRY_MAX_MS: '1000' })).toThrow(/^EVENTS_RETRY_MAX_MS: must be at least EVENTS_RETRY_BASE_MS/);
    const production = { NODE_ENV: 'production', DATABASE_URL: 'postgres://u:p@db:5432/auth', TOKEN_SECRET: 'x'.repeat(40), JWT_PRIVATE_KEY_FILE: '/run/secrets/key', SMTP_URL: 'smtp://mail:25', OIDC_ISSUER: 'https://auth.cathouse.example/oidc' };
    expect(() => parseConfig({ ...production, SSF_ISSUER: 'http://auth.cathouse.example' })).toThrow(/^SSF_ISSUER: must be https when NODE_ENV=production/);
    const ok = parseConfig(production).events;
    expect(ok).toMatchObject({ ssfIssuer: 'https://auth.cathouse.example', requireHttps: true, allowedNetworks: [] });
  });
});
