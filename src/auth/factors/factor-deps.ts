import type { DataSource } from 'typeorm';
import type { Config } from '../../config/config';
import type { Logger } from '../../logging/logger';
import type { AuditClient } from '../audit/audit-events';
import type { LoginThrottle } from '../throttling/login-throttle';
import type { TokenSecrets } from '../tokens/token-secret';

/** What the factor rules need, handed over by the HTTP wiring (app.ts). */
export interface FactorDeps {
  dataSource: DataSource;
  settings: Config['factors'];
  /** TOKEN_SECRET and the accepted ones: WebAuthn challenges and sealed TOTP secrets. */
  secrets: TokenSecrets;
  /** The login throttle: guesses at a second factor count per account and address as passwords do. */
  throttle: LoginThrottle;
  /** outboxKey(TOKEN_SECRET), for the notices. */
  outboxKey: Buffer;
  mailQueued: () => void;
  /** The clock of TOTP (tests check codes at fixed times); Date.now otherwise. */
  now: () => number;
  logger?: Logger | undefined;
}

/** The client of a request: its address for the throttle, both for the audit log. */
export type FactorClient = AuditClient & { ip: string };
