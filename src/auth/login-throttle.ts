import { createHash } from 'node:crypto';
import { RateLimiterPostgres, RateLimiterRes } from 'rate-limiter-flexible';
import type { DataSource } from 'typeorm';
import { AUTH_SCHEMA } from '../db/entities/schema';
import { AppError } from '../errors/app-error';

export const RATE_LIMIT_TABLE = 'rate_limits';

export interface LoginThrottleSettings {
  maxFailuresPerAccount: number;
  maxFailuresPerIp: number;
  windowSeconds: number;
}

export interface LoginThrottle {
  /**
   * Counts a login attempt against the account and the client address, before the password
   * is checked; throws rate_limited (with Retry-After) once either is over its limit.
   */
  attempt(email: string, ip: string): Promise<void>;
  /** A correct password: the account's counter starts over and the attempt does not count against the address. */
  succeeded(email: string, ip: string): Promise<void>;
}

interface PgQuery {
  text: string;
  values?: unknown[];
  name?: string;
}

interface PgQueryable {
  query(q: PgQuery): Promise<unknown>;
}

/**
 * rate-limiter-flexible's PostgreSQL store names its prepared statements (`rlflx-upsert`, ...,
 * see lib/RateLimiterPostgres.js `_query`). A transaction-mode pooler (PgBouncer before 1.21, the
 * version here being 1.18) hands consecutive statements to different server connections, where
 * a named statement is either missing or already defined. Dropping the name makes every query
 * an unnamed one, which poolers accept; the library holds no other session state (no SET, no
 * locks, one statement per call).
 */
function withoutStatementNames(pool: PgQueryable): PgQueryable {
  return { query: ({ text, values }) => pool.query({ text, values }) };
}

/**
 * Failed-login throttling in PostgreSQL, so every instance of the service sees the same counts.
 * The account key is a hash of the normalised email: keys stay short whatever the address, and
 * unknown emails are throttled exactly like known ones (no enumeration through 429s).
 */
export function createLoginThrottle(dataSource: DataSource, settings: LoginThrottleSettings): LoginThrottle {
  const pool = (dataSource.driver as unknown as { master: PgQueryable }).master;
  const common = {
    storeClient: withoutStatementNames(pool),
    storeType: 'pool',
    schemaName: AUTH_SCHEMA,
    tableName: RATE_LIMIT_TABLE,
    tableCreated: true,
    duration: settings.windowSeconds,
  };
  const perAccount = new RateLimiterPostgres({ ...common, keyPrefix: 'login_account', points: settings.maxFailuresPerAccount });
  const perIp = new RateLimiterPostgres({ ...common, keyPrefix: 'login_ip', points: settings.maxFailuresPerIp });
  const accountKey = (email: string) => createHash('sha256').update(email).digest('base64url');

  return {
    async attempt(email, ip) {
      const results = await Promise.allSettled([perIp.consume(ip), perAccount.consume(accountKey(email))]);
      let retryAfterMs: number | undefined;
      for (const result of results) {
        if (result.status === 'fulfilled') continue;
        if (!(result.reason instanceof RateLimiterRes)) throw result.reason;
        retryAfterMs = Math.max(retryAfterMs ?? 0, result.reason.msBeforeNext);
      }
      if (retryAfterMs !== undefined) {
        const seconds = Math.max(1, Math.ceil(retryAfterMs / 1000));
        throw new AppError('rate_limited', `Too many failed logins; try again in ${seconds} seconds.`, {
          headers: { 'retry-after': String(seconds) },
          fields: { retry_after: seconds },
        });
      }
    },
    async succeeded(email, ip) {
      await Promise.all([perAccount.delete(accountKey(email)), perIp.reward(ip, 1)]);
    },
  };
}
