import ipaddr from 'ipaddr.js';
import { ConfigError } from './config-error';

/** Security events, webhooks and the Shared Signals transmitter (issue 29): their settings, parsed from the environment. */
export interface EventsSettings {
  /** How often each instance's sender looks for due deliveries (it also looks at once after a local commit). */
  readonly pollIntervalMs: number;
  /** One delivery may take this long; a claim is held twice as long before another instance may retry it. */
  readonly sendTimeoutMs: number;
  /** A delivery still failing after this many tries becomes a dead letter. */
  readonly maxAttempts: number;
  /** Backoff after the n-th failed try: base * 2^(n-1) ms, at most retryMaxMs. */
  readonly retryBaseMs: number;
  readonly retryMaxMs: number;
  /** Events (and their delivery rows) are deleted this many days after they happened. */
  readonly retentionDays: number;
  /** CIDRs that receivers may resolve to although private, loopback or link-local (an explicit allowance). */
  readonly allowedNetworks: readonly string[];
  /** Receiver URLs must be https (production). */
  readonly requireHttps: boolean;
  /** How long a rotated-out webhook secret still signs (both signatures are sent). */
  readonly secretRotationGraceSeconds: number;
  /** The Shared Signals transmitter's issuer: `iss` of every SET, the base of /.well-known/ssf-configuration. */
  readonly ssfIssuer: string;
  /** How long a poll (RFC 8936) without returnImmediately waits for events before answering an empty set. */
  readonly ssfPollMaxWaitMs: number;
}

interface EventsEnv {
  NODE_ENV: 'development' | 'test' | 'production';
  PORT: number;
  EVENTS_POLL_INTERVAL_MS: number;
  EVENTS_SEND_TIMEOUT_MS: number;
  EVENTS_MAX_ATTEMPTS: number;
  EVENTS_RETRY_BASE_MS: number;
  EVENTS_RETRY_MAX_MS: number;
  EVENTS_RETENTION_DAYS: number;
  EVENTS_ALLOWED_NETWORKS?: string[] | undefined;
  EVENTS_SECRET_ROTATION_GRACE_SECONDS: number;
  SSF_ISSUER?: string | undefined;
  SSF_POLL_MAX_WAIT_MS: number;
  OIDC_ISSUER?: string | undefined;
}

/** EVENTS_ALLOWED_NETWORKS in canonical CIDR form; throws ConfigError naming the first that is not a network. */
export function parseAllowedNetworks(networks: readonly string[] | undefined): readonly string[] {
  return (networks ?? []).map((cidr) => {
    try {
      const [address, bits] = ipaddr.parseCIDR(cidr);
      return `${address.toString()}/${bits}`;
    } catch {
      throw new ConfigError('EVENTS_ALLOWED_NETWORKS', `EVENTS_ALLOWED_NETWORKS: "${cidr}" is not a network in CIDR form (e.g. 10.0.0.0/8, 127.0.0.1/32, ::1/128)`);
    }
  });
}

/** The events settings; throws ConfigError naming the variable for a bad network or issuer. */
export function parseEventsSettings(e: EventsEnv): EventsSettings {
  const allowedNetworks = parseAllowedNetworks(e.EVENTS_ALLOWED_NETWORKS);
  // Default: the service's public origin, which OIDC_ISSUER (required in production) already names.
  const fallback = e.OIDC_ISSUER ? new URL(e.OIDC_ISSUER).origin : `http://localhost:${e.PORT}`;
  const issuer = (e.SSF_ISSUER ?? fallback).replace(/\/+$/, '');
  const url = new URL(issuer);
  if (url.search || url.hash) throw new ConfigError('SSF_ISSUER', 'SSF_ISSUER: expected a URL without query or fragment, e.g. https://auth.cathouse.example');
  if (e.NODE_ENV === 'production' && url.protocol !== 'https:') {
    throw new ConfigError('SSF_ISSUER', 'SSF_ISSUER: must be https when NODE_ENV=production (the public URL of this service, e.g. https://auth.cathouse.example; default: the origin of OIDC_ISSUER)');
  }
  if (e.EVENTS_RETRY_MAX_MS < e.EVENTS_RETRY_BASE_MS) {
    throw new ConfigError('EVENTS_RETRY_MAX_MS', 'EVENTS_RETRY_MAX_MS: must be at least EVENTS_RETRY_BASE_MS');
  }
  return {
    pollIntervalMs: e.EVENTS_POLL_INTERVAL_MS,
    sendTimeoutMs: e.EVENTS_SEND_TIMEOUT_MS,
    maxAttempts: e.EVENTS_MAX_ATTEMPTS,
    retryBaseMs: e.EVENTS_RETRY_BASE_MS,
    retryMaxMs: e.EVENTS_RETRY_MAX_MS,
    retentionDays: e.EVENTS_RETENTION_DAYS,
    allowedNetworks,
    requireHttps: e.NODE_ENV === 'production',
    secretRotationGraceSeconds: e.EVENTS_SECRET_ROTATION_GRACE_SECONDS,
    ssfIssuer: issuer,
    ssfPollMaxWaitMs: e.SSF_POLL_MAX_WAIT_MS,
  };
}
