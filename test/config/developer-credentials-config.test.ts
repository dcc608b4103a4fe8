/**
 * The developer credentials' variables (issue 28): defaults, the verification page on OIDC_ISSUER's
 * origin, and each bad value refused in one line naming the variable.
 */
import { parseConfig } from '../../src/config/config';

it('defaults, and /device on the origin of OIDC_ISSUER', () => {
  const { device, pats } = parseConfig({ OIDC_ISSUER: 'https://auth.cathouse.example/oidc' }).developerCredentials;
  expect(device).toMatchObject({ clientIds: ['cathouse-cli'], codeTtlSeconds: 600, pollIntervalSeconds: 5, verificationUri: 'https://auth.cathouse.example/device' });
  expect(pats).toEqual({ maxTtlDays: 366, maxPerUser: 50, accessTokenTtlSeconds: 900, createMaxAuthAgeSeconds: 900, retentionDays: 30 });
  expect(parseConfig({ DEVICE_CLIENT_IDS: 'cathouse-cli, ci.tool' }).developerCredentials.device.clientIds).toEqual(['cathouse-cli', 'ci.tool']);
});

it.each([
  ['DEVICE_CLIENT_IDS', 'cathouse cli'],
  ['DEVICE_CODE_TTL_SECONDS', '5'],
  ['DEVICE_POLL_INTERVAL_SECONDS', '0'],
  ['DEVICE_USER_CODE_MAX_FAILURES_PER_IP', 'ten'],
  ['PAT_MAX_TTL_DAYS', '0'],
  ['PAT_ACCESS_TOKEN_TTL_SECONDS', '86400'],
  ['PAT_CREATE_MAX_AUTH_AGE_SECONDS', '10'],
])('%s=%s is refused in one line naming it', (name, value) => {
  let message = '';
  try {
    parseConfig({ [name]: value });
  } catch (err) {
    message = (err as Error).message;
  }
  expect(message).toMatch(new RegExp(`^${name}: `));
  expect(message).not.toContain('\n');
});
