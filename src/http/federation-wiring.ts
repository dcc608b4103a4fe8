import type { DataSource, EntityManager } from 'typeorm';
import type { AuthService } from '../auth/auth-service';
import type { PasswordHasher } from '../auth/accounts/passwords';
import type { CaptchaVerifier } from '../auth/abuse/captcha';
import { FederationService } from '../auth/federation/federation-service';
import { IdTokenVerifier } from '../auth/federation/id-token-verifier';
import { RedirectSignIn } from '../auth/federation/redirect-sign-in';
import { sessionGrants } from '../auth/federation/session-grant';
import type { MfaChallenger } from '../auth/federation/provider-sessions';
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
  /** Issue 26: provider sign-ins of an account with a second factor answer its MFA challenge (FactorSignIn). */
  challenger?: MfaChallenger | undefined;
  /** Issue 30: the CAPTCHA of guest creation (action guest) and of a password upgrade (action register). */
  captcha: Pick<CaptchaVerifier, 'verify'>;
}

/** The services of issue 25 built from configuration, kept out of app.ts (a shared file). */
export function createFederation({ config, dataSource, authKeys, metrics, service, hasher, onRegistered, mailQueued, challenger, captcha }: FederationWiringDeps) {
  const providerNames = [...new Set([...config.federation.providers, ...config.webSignIn.providers].map((p) => p.name))];
  const observer = federationMetrics(metrics.registry, providerNames);
  const grant = sessionGrants(config.auth, authKeys, (subject) => service.accessToken(subject));
  const federation = new FederationService({ dataSource, verifier: new IdTokenVerifier(config.federation), grant, observer, challenger });
  const guests = new GuestService({
    dataSource,
    settings: config.federation.guests,
    ipv6PrefixLength: config.auth.clientIpv6Prefix,
    grant,
    federation,
    hasher,
    hashes: service.registrationHashes,
    checkNewPasswordAccount: (input, ip) => service.checkNewPasswordAccount(input, ip),
    captcha,
    onRegistered,
    afterCommit: mailQueued,
    observer,
  });
  // Issue 25 item 2: the state cookie is signed with TOKEN_SECRET (and still opens with the previous ones during a rotation).
  const redirects = new RedirectSignIn({ dataSource, settings: config.webSignIn, stateKeys: [authKeys.tokenSecret, ...authKeys.previousTokenSecrets], grant, observer, challenger });
  return { federation, guests, redirects, observer };
}
