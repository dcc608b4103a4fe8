import { ConfigError } from './config-error';
import type { Config } from './config-type';

/** The OpenID provider's variables (issue 27), read by the service and by `npm run admin -- oidc`. */
export const OIDC_VARIABLES = [
  'OIDC_ISSUER',
  'OIDC_ACCESS_TOKEN_TTL_SECONDS',
  'OIDC_ID_TOKEN_TTL_SECONDS',
  'OIDC_REFRESH_TOKEN_TTL_SECONDS',
  'OIDC_GRANT_TTL_SECONDS',
  'OIDC_SESSION_TTL_SECONDS',
] as const;

interface OidcEnv {
  NODE_ENV: Config['env'];
  OIDC_ISSUER?: string | undefined;
  OIDC_ACCESS_TOKEN_TTL_SECONDS: number;
  OIDC_ID_TOKEN_TTL_SECONDS: number;
  OIDC_REFRESH_TOKEN_TTL_SECONDS: number;
  OIDC_GRANT_TTL_SECONDS: number;
  OIDC_SESSION_TTL_SECONDS: number;
}

/**
 * The provider's settings. The issuer defaults to http://localhost:PORT/oidc in development; its
 * path is where the provider is mounted (the root would shadow the API). In production it must be
 * given and https: it is every ID token's `iss` and the base of discovery, so a guessed one breaks
 * every cat's sign-in. `checkProduction` is false where other variables are checked first.
 */
export function parseOidcSettings(e: OidcEnv, port: number, { checkProduction = true } = {}): Config['oidc'] {
  const issuer = (e.OIDC_ISSUER ?? `http://localhost:${port}/oidc`).replace(/\/+$/, '');
  const url = new URL(issuer);
  if (url.pathname === '/' || url.pathname === '' || url.search || url.hash) {
    throw new ConfigError('OIDC_ISSUER', 'OIDC_ISSUER: expected a URL with a path and no query, e.g. https://auth.cathouse.example/oidc');
  }
  if (checkProduction) assertProductionIssuer(e.NODE_ENV, issuer);
  return {
    issuer,
    accessTokenTtlSeconds: e.OIDC_ACCESS_TOKEN_TTL_SECONDS,
    idTokenTtlSeconds: e.OIDC_ID_TOKEN_TTL_SECONDS,
    refreshTokenTtlSeconds: e.OIDC_REFRESH_TOKEN_TTL_SECONDS,
    grantTtlSeconds: e.OIDC_GRANT_TTL_SECONDS,
    sessionTtlSeconds: e.OIDC_SESSION_TTL_SECONDS,
  };
}

export function assertProductionIssuer(env: Config['env'], issuer: string): void {
  if (env === 'production' && new URL(issuer).protocol !== 'https:') {
    throw new ConfigError('OIDC_ISSUER', 'OIDC_ISSUER: required and https when NODE_ENV=production (the public URL of the provider, e.g. https://auth.cathouse.example/oidc)');
  }
}
