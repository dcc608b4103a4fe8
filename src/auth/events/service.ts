import type { DataSource } from 'typeorm';
import type { Config } from '../../config/config';
import type { Logger } from '../../logging/logger';
import { repeatWithJitter } from '../periodic-task';
import type { AuthKeys } from '../tokens/auth-keys';
import { pruneEvents } from './outbox';
import { sealingKeys } from './secrets';
import { startEventSender, type EventSender, type EventsObserver } from './sender';

export interface SecurityEvents {
  readonly sender: EventSender;
  /** Stops the sender (waiting for its pass in flight) and the retention task. */
  stop(): Promise<void>;
}

/**
 * The background side of security events in one instance (issue 29): the sender, and the hourly
 * deletion of events past EVENTS_RETENTION_DAYS (in batches; every instance may run it at once).
 */
export function startSecurityEvents({ dataSource, config, authKeys, logger, observer }: { dataSource: DataSource; config: Config; authKeys: AuthKeys; logger: Logger; observer?: EventsObserver }): SecurityEvents {
  const sender = startEventSender({
    dataSource,
    settings: config.events,
    sealing: sealingKeys(authKeys.tokenSecret, authKeys.previousTokenSecrets),
    signingKeys: authKeys.signingKeys,
    subjectIssuer: config.auth.issuer,
    logger,
    observer,
  });
  const stopPruning = repeatWithJitter(async () => {
    try {
      let deleted = 0;
      for (let batch = await pruneEvents(dataSource, config.events.retentionDays); batch > 0; batch = await pruneEvents(dataSource, config.events.retentionDays)) deleted += batch;
      if (deleted > 0) logger.info({ event: 'security_events_pruned', deleted }, `deleted ${deleted} security event(s) past retention`);
    } catch (err) {
      logger.warn({ err }, 'security event pruning failed');
    }
  }, 3_600_000);
  return {
    sender,
    async stop() {
      stopPruning();
      await sender.stop();
    },
  };
}
