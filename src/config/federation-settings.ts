import { ConfigError } from './config-error';
import type { Config } from './config-type';

/**
 * Sign-in with other providers' ID tokens (issue 25): Apple and Google for the native apps, and
 * guest players. A provider is on when its client ids are set; its issuer and JWKS default to the
 * real provider's (tests point them at a provider on loopback).
 */
interface FederationEnv {
  NODE_ENV: Config['env'];
  APPLE_CLIENT_IDS?: string[] | undefined;
  APPLE_ISSUER: string;
  APPLE_JWKS_URI: string;
  GOOGLE_CLIENT_IDS?: string[] | undefined;
  GOOGLE_ISSUER: string;
  GOOGLE_JWKS_URI: string;
  ID_TOKEN_CLOCK_TOLERANCE_SECONDS: number;
  ID_TOKEN_MAX_AGE_SECONDS: number;
  PROVIDER_JWKS_CACHE_SECONDS: number;
  PROVIDER_JWKS_COOLDOWN_SECONDS: number;
  GUEST_MAX_PER_IP: number;
  GUEST_WINDOW_SECONDS: number;
  GUEST_LIFETIME_SECONDS: number;
}

export function parseFederationSettings(e: FederationEnv): Config['federation'] {
  const providers: Config['federation']['providers'][number][] = [];
  const known = [
    { name: 'apple', clientIds: e.APPLE_CLIENT_IDS, issuer: e.APPLE_ISSUER, jwksUri: e.APPLE_JWKS_URI, prefix: 'APPLE' },
    { name: 'google', clientIds: e.GOOGLE_CLIENT_IDS, issuer: e.GOOGLE_ISSUER, jwksUri: e.GOOGLE_JWKS_URI, prefix: 'GOOGLE' },
  ] as const;
  for (const p of known) {
    if (!p.clientIds?.length) continue;
    // A JWKS fetched over plain http could be anyone's keys: only loopback (a test's provider) may skip TLS.
    if (e.NODE_ENV === 'production' && new URL(p.jwksUri).protocol !== 'https:') {
      throw new ConfigError(`${p.prefix}_JWKS_URI`, `${p.prefix}_JWKS_URI: must be https when NODE_ENV=production (the provider's published keys)`);
    }
    providers.push({ name: p.name, issuer: p.issuer.replace(/\/+$/, ''), jwksUri: p.jwksUri, clientIds: Object.freeze([...p.clientIds]) });
  }
  return {
    providers,
    clockToleranceSeconds: e.ID_TOKEN_CLOCK_TOLERANCE_SECONDS,
    maxTokenAgeSeconds: e.ID_TOKEN_MAX_AGE_SECONDS,
    jwksCacheSeconds: e.PROVIDER_JWKS_CACHE_SECONDS,
    jwksCooldownSeconds: e.PROVIDER_JWKS_COOLDOWN_SECONDS,
    guests: { maxPerIp: e.GUEST_MAX_PER_IP, windowSeconds: e.GUEST_WINDOW_SECONDS, lifetimeSeconds: e.GUEST_LIFETIME_SECONDS },
  };
}
