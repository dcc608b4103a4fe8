import type { DataSource } from 'typeorm';
import type { Logger } from '../../logging/logger';
import { repeatWithJitter } from '../periodic-task';
import { pruneExpiredOidcState } from './adapter';

/**
 * Deletes the provider's expired state (codes, tokens, interactions, sessions, grants past their
 * TTL) every `intervalMs`, in batches, until the returned function is called. Revoked connected
 * apps are kept (their history) but their grants were deleted when revoked.
 */
export function scheduleOidcPruning(dataSource: DataSource, logger: Logger, intervalMs = 10 * 60_000): () => void {
  return repeatWithJitter(async () => {
    try {
      let total = 0;
      for (let batch = 0; batch < 20; batch++) {
        const pruned = await pruneExpiredOidcState(dataSource);
        total += pruned;
        if (pruned < 1_000) break;
      }
      if (total) logger.info({ oidc_rows: total }, 'pruned expired OpenID provider state');
    } catch (err) {
      logger.warn({ err }, 'pruning OpenID provider state failed; will retry');
    }
  }, intervalMs);
}
