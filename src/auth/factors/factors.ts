import type { DataSource } from 'typeorm';
import type { Config } from '../../config/config';
import type { Logger } from '../../logging/logger';
import type { LoginThrottle } from '../throttling/login-throttle';
import type { TokenSecrets } from '../tokens/token-secret';
import { FactorService } from './factor-service';
import { FactorSignIn, type SessionStarter } from './factor-sign-in';

/** What the HTTP wiring gives the factor rules (app.ts). */
export interface FactorsOptions {
  dataSource: DataSource;
  config: Config;
  secrets: TokenSecrets;
  outboxKey: Buffer;
  mailQueued: () => void;
  logger: Logger;
  /** The AuthService's login throttle and sessions; read on use, since the service is made after. */
  throttle: () => LoginThrottle;
  sessions: () => SessionStarter;
  /** The TOTP clock; tests pin it. */
  now?: (() => number) | undefined;
}

/** The factor service (enrolment, removal, reset) and the factor sign-in (MFA challenge, passkey sign-in, step-up), sharing one set of deps. */
export function createFactors(o: FactorsOptions): { service: FactorService; signIn: FactorSignIn } {
  const deps = {
    dataSource: o.dataSource,
    settings: o.config.factors,
    secrets: o.secrets,
    get throttle() {
      return o.throttle();
    },
    outboxKey: o.outboxKey,
    mailQueued: o.mailQueued,
    now: o.now ?? Date.now,
    logger: o.logger,
  };
  const sessions: SessionStarter = {
    startVerifiedSessionFor: (...a) => o.sessions().startVerifiedSessionFor(...a),
    checkPassword: (...a) => o.sessions().checkPassword(...a),
    accessToken: (...a) => o.sessions().accessToken(...a),
  };
  return { service: new FactorService(deps), signIn: new FactorSignIn(deps, sessions) };
}
