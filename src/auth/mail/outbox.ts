import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import type { DataSource, EntityManager } from 'typeorm';
import type { MailStatus } from '../../db/entities/index';
import type { MailParams, MailTemplate } from './messages';
import { sql } from '../sql';

/**
 * The mail outbox (auth.mail_outbox): mail is enqueued in the transaction of the change that
 * needs it, so it exists exactly when the change committed; the sender (mail/sender.ts) claims
 * and delivers it. Every statement here stands alone (no session state, no LISTEN), so all of it
 * works through a transaction-mode pooler.
 */

/** Key that seals the link tokens held by pending rows; derived from TOKEN_SECRET so every instance shares it. */
export function outboxKey(tokenSecret: Buffer): Buffer {
  return Buffer.from(hkdfSync('sha256', tokenSecret, Buffer.alloc(0), 'cathouse/mail-outbox/v1', 32));
}

/** The keys that open sealed tokens: the current secret's first, then those of the secrets only accepted. */
export function outboxKeys(current: Buffer, accepted: readonly Buffer[]): Buffer[] {
  return [current, ...accepted].map(outboxKey);
}

/** AES-256-GCM: iv (12) | tag (16) | ciphertext. */
export function sealToken(key: Buffer, token: string): Buffer {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  const body = Buffer.concat([cipher.update(token, 'utf8'), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), body]);
}

export function openToken(key: Buffer, sealed: Buffer): string {
  const decipher = createDecipheriv('aes-256-gcm', key, sealed.subarray(0, 12));
  decipher.setAuthTag(sealed.subarray(12, 28));
  return Buffer.concat([decipher.update(sealed.subarray(28)), decipher.final()]).toString('utf8');
}

/**
 * Opens a sealed token with whichever accepted key sealed it (issue 21): mail queued before a
 * rotation of TOKEN_SECRET, or by an instance already past it, is sent by any instance that
 * accepts that secret. Throws an error that says which variable to fix when none does.
 */
export function openTokenWithAny(keys: readonly Buffer[], sealed: Buffer): string {
  for (const key of keys) {
    try {
      return openToken(key, sealed);
    } catch {
      // Not this key (AES-GCM's tag does not match): try the next.
    }
  }
  throw new Error(
    'the link token was sealed with a TOKEN_SECRET this instance does not accept (not TOKEN_SECRET, TOKEN_NEXT_SECRET or TOKEN_PREVIOUS_SECRETS): add that secret to TOKEN_PREVIOUS_SECRETS (README, "Rotating TOKEN_SECRET")',
  );
}

export interface OutgoingMail {
  template: MailTemplate;
  to: string;
  userId: string | null;
  params?: MailParams;
  /** The link's token, sealed before it is stored. */
  token?: string;
}

/** Writes a mail to the outbox in the caller's transaction. */
export async function enqueueMail(manager: EntityManager, key: Buffer, mail: OutgoingMail): Promise<void> {
  await sql(
    manager,
    `INSERT INTO auth.mail_outbox (template, recipient, user_id, params, secret) VALUES ($1, $2, $3, $4::jsonb, $5)`,
    [mail.template, mail.to, mail.userId, JSON.stringify(mail.params ?? {}), mail.token === undefined ? null : sealToken(key, mail.token)],
  );
}

export interface ClaimedMail {
  id: string;
  template: MailTemplate;
  /** Never null for a pending row: only sent and erased rows lose it. */
  recipient: string;
  params: MailParams;
  secret: Buffer | null;
  /** The recipient's language (auth.users.locale at the time of sending; null: none, or no account). */
  locale: string | null;
  /** This try's number, counting this one. */
  attempts: number;
}

/**
 * Claims up to `limit` due pending mails for this instance: one statement that locks them with
 * FOR UPDATE SKIP LOCKED (two instances never claim the same row), counts the try and pushes
 * next_attempt_at past `leaseSeconds`. The claim is a lease, not a held lock: if this process
 * dies before it marks the mail, the row becomes due again when the lease ends and another
 * instance sends it (at least once; never lost).
 */
export async function claimDueMail(dataSource: DataSource, limit: number, leaseSeconds: number): Promise<ClaimedMail[]> {
  const { rows } = await sql<ClaimedMail>(
    dataSource,
    `UPDATE auth.mail_outbox o
        SET attempts = o.attempts + 1, next_attempt_at = statement_timestamp() + make_interval(secs => $2)
      WHERE o.id IN (SELECT id FROM auth.mail_outbox
                      WHERE status = 'pending' AND next_attempt_at <= statement_timestamp() AND recipient IS NOT NULL
                      ORDER BY next_attempt_at LIMIT $1 FOR UPDATE SKIP LOCKED)
     RETURNING o.id, o.template, o.recipient, o.params, o.secret, o.attempts,
               (SELECT u.locale FROM auth.users u WHERE u.id = o.user_id) AS locale`,
    [limit, leaseSeconds],
  );
  return rows;
}

/**
 * Delivered: the sealed token, the recipient and the parameters (which may hold another address)
 * are dropped (issue 22 M9); the row stays for the admin view until MAIL_RETENTION_DAYS.
 */
export async function markMailSent(dataSource: DataSource, id: string): Promise<void> {
  await sql(
    dataSource,
    `UPDATE auth.mail_outbox SET status = 'sent', sent_at = statement_timestamp(), secret = NULL, recipient = NULL, params = '{}', last_error = NULL
      WHERE id = $1 AND status = 'pending'`,
    [id],
  );
}

/** A failed try: retried after `retryInSeconds`, or given up (status failed) when that is undefined. */
export async function markMailFailed(dataSource: DataSource, id: string, error: string, retryInSeconds: number | undefined): Promise<void> {
  if (retryInSeconds === undefined) {
    await sql(dataSource, `UPDATE auth.mail_outbox SET status = 'failed', secret = NULL, last_error = $2 WHERE id = $1 AND status = 'pending'`, [id, error.slice(0, 1000)]);
    return;
  }
  await sql(
    dataSource,
    `UPDATE auth.mail_outbox SET next_attempt_at = statement_timestamp() + make_interval(secs => $3), last_error = $2 WHERE id = $1 AND status = 'pending'`,
    [id, error.slice(0, 1000), retryInSeconds],
  );
}

export interface OutboxEntry {
  id: string;
  template: MailTemplate;
  /** null once sent, or once its account was deleted. */
  recipient: string | null;
  user_id: string | null;
  status: MailStatus;
  attempts: number;
  next_attempt_at: Date;
  last_error: string | null;
  created_at: Date;
  sent_at: Date | null;
}

/** The outbox as the admin view shows it (newest first), optionally one status; never the sealed tokens. */
export async function listOutbox(executor: DataSource | EntityManager, { status, limit = 100 }: { status?: MailStatus; limit?: number } = {}): Promise<OutboxEntry[]> {
  const { rows } = await sql<OutboxEntry>(
    executor,
    `SELECT id, template, recipient, user_id, status, attempts, next_attempt_at, last_error, created_at, sent_at
       FROM auth.mail_outbox WHERE ($1::varchar IS NULL OR status = $1) ORDER BY created_at DESC LIMIT $2`,
    [status ?? null, limit],
  );
  return rows;
}
