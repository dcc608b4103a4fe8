import type { DataSource } from 'typeorm';
import type { AuthService } from '../auth/auth-service';
import { FederationService } from '../auth/federation/federation-service';
import { IdTokenVerifier } from '../auth/federation/id-token-verifier';
import { sessionGrants } from '../auth/federation/session-grant';
import type { AuthKeys } from '../auth/tokens/auth-keys';
import type { Config } from '../config/config';
import { federationMetrics } from './federation-metrics';
import type { ServiceMetrics } from './metrics';

/** The services of issue 25 built from configuration, kept out of app.ts (a shared file). */
export function createFederation({ config, dataSource, authKeys, metrics, service }: { config: Config; dataSource: DataSource; authKeys: AuthKeys; metrics: ServiceMetrics; service: AuthService }) {
  const observer = federationMetrics(metrics.registry, config.federation.providers.map((p) => p.name));
  const grant = sessionGrants(config.auth, authKeys, (subject) => service.accessToken(subject));
  const federation = new FederationService({ dataSource, verifier: new IdTokenVerifier(config.federation), grant, observer });
  return { federation, grant, observer };
}
