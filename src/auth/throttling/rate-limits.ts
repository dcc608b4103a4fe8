import { RateLimiterPostgres, RateLimiterRes } from 'rate-limiter-flexible';
import type { DataSource } from 'typeorm';
import { AUTH_SCHEMA } from '../../db/entities/schema';
import { AppError } from '../../errors/app-error';

/** The table every counter lives in (created by the LoginThrottle migration; the runtime runs no DDL). */
export const RATE_LIMIT_TABLE = 'rate_limits';

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

/** A counter factory over the runtime pool: every instance of the service shares the counts. */
export function rateLimiterFactory(dataSource: DataSource) {
  const pool = (dataSource.driver as unknown as { master: PgQueryable }).master;
  const storeClient = withoutStatementNames(pool);
  return (keyPrefix: string, points: number, durationSeconds: number) =>
    new RateLimiterPostgres({
      storeClient,
      storeType: 'pool',
      schemaName: AUTH_SCHEMA,
      tableName: RATE_LIMIT_TABLE,
      tableCreated: true,
      keyPrefix,
      points,
      duration: durationSeconds,
    });
}

/** A limit the library reports by rejecting with a RateLimiterRes; anything else is a real failure. */
export function isLimitReached(reason: unknown): reason is RateLimiterRes {
  return reason instanceof RateLimiterRes;
}

/** 429 rate_limited with Retry-After in whole seconds (at least 1). */
export function rateLimited(what: string, retryAfterMs: number): AppError {
  const seconds = Math.max(1, Math.ceil(retryAfterMs / 1000));
  return new AppError('rate_limited', `${what}; try again in ${seconds} seconds.`, {
    headers: { 'retry-after': String(seconds) },
    fields: { retry_after: seconds },
  });
}

/**
 * Consumes a point from each (key, limiter) pair at once. Resolves to the results in order when
 * every one is within its limit; otherwise throws `rateLimited(what)` with the longest wait.
 */
export async function consumeAll(
  what: string,
  pairs: readonly (readonly [RateLimiterPostgres, string])[],
): Promise<RateLimiterRes[]> {
  const results = await Promise.allSettled(pairs.map(([limiter, key]) => limiter.consume(key)));
  let retryAfterMs: number | undefined;
  const ok: RateLimiterRes[] = [];
  for (const result of results) {
    if (result.status === 'fulfilled') {
      ok.push(result.value);
      continue;
    }
    if (!isLimitReached(result.reason)) throw result.reason;
    retryAfterMs = Math.max(retryAfterMs ?? 0, result.reason.msBeforeNext);
  }
  if (retryAfterMs !== undefined) throw rateLimited(what, retryAfterMs);
  return ok;
}
