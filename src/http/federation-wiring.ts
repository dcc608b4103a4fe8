import type { DataSource, EntityManager } from 'typeorm';
import type { AuthService } from '../auth/auth-service';
import type { PasswordHasher } from '../auth/accounts/passwords';
import { FederationService } from '../auth/federation/federation-service';
import { IdTokenVerifier } from '../auth/federation/id-token-verifier';
import { sessionGrants } from '../auth/federation/session-grant';
import { GuestService } from '../auth/guests/guest-service';
import type { AuthKeys } from '../auth/tokens/auth-keys';
import type { Config } from '../config/config';
import type { User } from '../db/entities/index';
import { federationMetrics } from './federation-metrics';
import type { ServiceMetrics } from './metrics';

export interface FederationWiringDeps {
  config: Config;
  dataSource: DataSource;
  authKeys: AuthKeys;
  metrics: ServiceMetrics;
  service: AuthService;
  hasher: PasswordHasher;
  /** The account flows' verification mail for a guest that upgrades with a password. */
  onRegistered(manager: EntityManager, user: User): Promise<void>;
  mailQueued(): void;
}

/** The services of issue 25 built from configuration, kept out of app.ts (a shared file). */
export function createFederation({ config, dataSource, authKeys, metrics, service, hasher, onRegistered, mailQueued }: FederationWiringDeps) {
  const observer = federationMetrics(metrics.registry, config.federation.providers.map((p) => p.name));
  const grant = sessionGrants(config.auth, authKeys, (subject) => service.accessToken(subject));
  const federation = new FederationService({ dataSource, verifier: new IdTokenVerifier(config.federation), grant, observer });
  const guests = new GuestService({
    dataSource,
    settings: config.federation.guests,
    ipv6PrefixLength: config.auth.clientIpv6Prefix,
    grant,
    federation,
    hasher,
    hashes: service.registrationHashes,
    onRegistered,
    afterCommit: mailQueued,
    observer,
  });
  return { federation, guests };
}
