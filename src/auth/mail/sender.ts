import { startOutboxLoop } from '../outbox-loop';
import type { DataSource } from 'typeorm';
import type { Config } from '../../config/config';
import type { Logger } from '../../logging/logger';
import { renderMail, type MailTemplate } from './messages';
import type { MailTransport } from './transport';
import { claimDueMail, markMailFailed, markMailSent, openTokenWithAny, type ClaimedMail } from './outbox';

export interface MailSender {
  /** Looks for due mail now instead of at the next poll (called after a commit that queued mail). */
  nudge(): void;
  /** Runs passes until nothing is due now; for tests and shutdown. */
  drain(): Promise<void>;
  /** Stops polling and waits for the pass in flight. */
  stop(): Promise<void>;
}

export interface MailSenderDeps {
  dataSource: DataSource;
  transport: MailTransport;
  mail: Config['mail'];
  /** outboxKey() of every accepted secret (TOKEN_SECRET, TOKEN_NEXT_SECRET, TOKEN_PREVIOUS_SECRETS): open the sealed link tokens. */
  keys: readonly Buffer[];
  logger: Logger;
}

const BATCH = 10;
const MAX_BACKOFF_SECONDS = 3_600;

/** Seconds before try n+1 after n failed tries: base * 2^(n-1), at most an hour. */
export function retryDelaySeconds(base: number, failedTries: number): number {
  return Math.min(MAX_BACKOFF_SECONDS, base * 2 ** Math.max(0, failedTries - 1));
}

/**
 * The per-instance sender: polls the outbox (LISTEN/NOTIFY would not survive a transaction
 * pooler), claims due mail with SKIP LOCKED so instances share the work without sending twice,
 * and retries with exponential backoff. A message still failing after MAIL_MAX_ATTEMPTS tries is
 * marked failed (visible in the outbox view) and logged at error. Never throws: a database
 * outage only delays the next pass.
 */
export function startMailSender({ dataSource, transport, mail, keys, logger }: MailSenderDeps): MailSender {
  const leaseSeconds = Math.ceil((2 * mail.sendTimeoutMs) / 1000);

  async function deliver(row: ClaimedMail): Promise<void> {
    const log = { mail_id: row.id, template: row.template, attempt: row.attempts };
    if (row.attempts > mail.maxAttempts) {
      // Claimed before by a sender that died mid-send, as often as the bound allows.
      await markMailFailed(dataSource, row.id, 'given up: the tries ran out', undefined);
      logger.error({ ...log, event: 'mail_given_up' }, 'mail given up: every try was claimed by a sender that did not finish');
      return;
    }
    try {
      const token = row.secret ? openTokenWithAny(keys, row.secret) : undefined;
      await transport.send(renderMail(mail, row.template as MailTemplate, row.recipient, row.params, token, row.locale));
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      if (row.attempts >= mail.maxAttempts) {
        await markMailFailed(dataSource, row.id, message, undefined);
        logger.error({ ...log, event: 'mail_given_up', error: message }, `mail given up after ${row.attempts} tries`);
      } else {
        const retryIn = retryDelaySeconds(mail.retryBaseSeconds, row.attempts);
        await markMailFailed(dataSource, row.id, message, retryIn);
        logger.warn({ ...log, event: 'mail_retry', error: message, retry_in_s: retryIn }, 'mail not sent; will retry');
      }
      return;
    }
    await markMailSent(dataSource, row.id);
    logger.info({ ...log, event: 'mail_sent' }, 'mail sent');
  }

  const loop = startOutboxLoop({
    claim: () => claimDueMail(dataSource, BATCH, leaseSeconds),
    deliver,
    // A full batch: more mail may be due.
    again: (claimed) => claimed === BATCH,
    pollIntervalMs: mail.pollIntervalMs,
    onDeliveryError: (err, row) => logger.warn({ err, mail_id: row.id }, 'mail outbox update failed'),
    onPollError: (err) => logger.warn({ err }, 'mail outbox poll failed'),
  });

  return {
    nudge: loop.nudge,
    drain: loop.drain,
    async stop() {
      await loop.stop();
      transport.close();
    },
  };
}
