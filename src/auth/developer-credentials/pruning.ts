import type { DataSource } from 'typeorm';
import type { Logger } from '../../logging/logger';
import { repeatWithJitter } from '../periodic-task';
import { sql } from '../sql';

/**
 * Deletes what no one can use any more, in batches: device logins a day past their expiry (the
 * redeemed ones' sessions live on in auth.sessions), and personal access tokens PAT_RETENTION_DAYS
 * after they expired or were revoked (kept that long so their owner still sees them listed, and a
 * refused use still names its token in the audit log).
 */
export async function pruneDeveloperCredentials(dataSource: DataSource, retentionDays: number, batchSize = 1_000): Promise<{ devices: number; pats: number }> {
  const devices = await sql(
    dataSource,
    `DELETE FROM auth.device_authorizations WHERE id IN (
       SELECT id FROM auth.device_authorizations WHERE expires_at < statement_timestamp() - interval '1 day' LIMIT $1)`,
    [batchSize],
  );
  const pats = await sql(
    dataSource,
    `DELETE FROM auth.personal_access_tokens WHERE id IN (
       SELECT id FROM auth.personal_access_tokens
        WHERE LEAST(expires_at, COALESCE(revoked_at, 'infinity')) < statement_timestamp() - make_interval(days => $2) LIMIT $1)`,
    [batchSize, retentionDays],
  );
  return { devices: devices.count, pats: pats.count };
}

/** Runs pruneDeveloperCredentials about every `intervalMs` until the returned function is called. */
export function scheduleDeveloperCredentialsPruning(dataSource: DataSource, logger: Logger, retentionDays: number, intervalMs = 10 * 60_000): () => void {
  return repeatWithJitter(async () => {
    try {
      let devices = 0;
      let pats = 0;
      for (let batch = 0; batch < 20; batch++) {
        const pruned = await pruneDeveloperCredentials(dataSource, retentionDays);
        devices += pruned.devices;
        pats += pruned.pats;
        if (pruned.devices < 1_000 && pruned.pats < 1_000) break;
      }
      if (devices || pats) logger.info({ device_authorizations: devices, personal_access_tokens: pats }, 'pruned developer credentials');
    } catch (err) {
      logger.warn({ err }, 'pruning developer credentials failed; will retry');
    }
  }, intervalMs);
}
