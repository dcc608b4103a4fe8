import type { Config } from './config-type';
import type { Env } from './env-schema';

/**
 * The developer credentials' settings (issue 28): the device login of the CLI (RFC 8628) and
 * personal access tokens. The verification page lives on the service's public origin, the one
 * OIDC_ISSUER names (in production it is required and https), at /device.
 */
export function parseDeveloperCredentialsSettings(e: Env, oidcIssuer: string): Config['developerCredentials'] {
  return {
    device: {
      clientIds: Object.freeze([...e.DEVICE_CLIENT_IDS]),
      codeTtlSeconds: e.DEVICE_CODE_TTL_SECONDS,
      pollIntervalSeconds: e.DEVICE_POLL_INTERVAL_SECONDS,
      maxAuthorizationsPerIp: e.DEVICE_AUTHORIZATIONS_MAX_PER_IP,
      maxUserCodeFailuresPerIp: e.DEVICE_USER_CODE_MAX_FAILURES_PER_IP,
      verificationUri: new URL('/device', oidcIssuer).href,
    },
    pats: {
      maxTtlDays: e.PAT_MAX_TTL_DAYS,
      maxPerUser: e.PAT_MAX_PER_USER,
      accessTokenTtlSeconds: e.PAT_ACCESS_TOKEN_TTL_SECONDS,
      createMaxAuthAgeSeconds: e.PAT_CREATE_MAX_AUTH_AGE_SECONDS,
      retentionDays: e.PAT_RETENTION_DAYS,
    },
  };
}
