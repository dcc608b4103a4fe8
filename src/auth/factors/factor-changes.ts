import type { EntityManager } from 'typeorm';
import { bumpSecurityStamp } from '../accounts/security-stamp';
import { recordEvent, type AuditClient } from '../audit/audit-events';
import type { InitiatingEntity } from '../events/catalogue';
import { recordSecurityEvent } from '../events/record';
import { enqueueMail } from '../mail/outbox';
import type { FactorMailTemplate, MailedFactorKind } from '../mail/factor-messages';
import { sql } from '../sql';
import type { FactorDeps } from './factor-deps';
import type { FactorKind } from './factor-list';

/**
 * What every change of a user's factors does besides the change itself, in its transaction: the
 * audit event, and a notice to the account's address (a factor the owner did not add is how an
 * attacker keeps an account). Adding or removing a factor is a credential change (issue 22's
 * security stamp: link tokens mailed before it die). The security event of the change
 * (`factor.added` / `factor.removed`, issue 29) is recordFactorEvents, called last in the transaction.
 */
export interface FactorChange {
  userId: string;
  /** Who did it when not the user (an admin's reset). */
  actorId?: string | null;
  sessionId?: string | null;
  client: AuditClient;
  event: 'factor_added' | 'factor_removed' | 'recovery_codes_generated' | 'recovery_code_used' | 'factors_reset';
  factor?: FactorKind | 'all';
  /** The factor the mail names, in the recipient's language (issue 30), and a passkey's name. */
  mailed?: { kind: MailedFactorKind; name?: string };
  detail?: Record<string, unknown>;
  mail?: FactorMailTemplate;
  remaining?: number;
}

export async function recordFactorChange(deps: Pick<FactorDeps, 'outboxKey'>, manager: EntityManager, change: FactorChange): Promise<void> {
  await recordEvent(manager, {
    type: change.event,
    userId: change.userId,
    actorId: change.actorId ?? null,
    sessionId: change.sessionId ?? null,
    client: change.client,
    detail: { ...(change.factor && { factor: change.factor }), ...change.detail },
  });
  if (change.event !== 'recovery_code_used' && change.event !== 'recovery_codes_generated') await credentialChanged(manager, change.userId);
  if (!change.mail) return;
  const { rows } = await sql<{ email: string }>(manager, `SELECT email FROM auth.users WHERE id = $1 AND deleted_at IS NULL`, [change.userId]);
  if (!rows[0]) return;
  await enqueueMail(manager, deps.outboxKey, {
    template: change.mail,
    to: rows[0].email,
    userId: change.userId,
    params: { ...(change.mailed && { factor_kind: change.mailed.kind, ...(change.mailed.name !== undefined && { factor_name: change.mailed.name }) }), ...(change.remaining !== undefined && { remaining: change.remaining }) },
  });
}

/** A credential of the user changed: issue 22's security stamp moves, so every link mailed before it dies. */
function credentialChanged(manager: EntityManager, userId: string): Promise<string> {
  return bumpSecurityStamp(manager, userId);
}

/** A factor as the security events name it (docs/events.md): the API's `recovery_code` is the set, `recovery_codes`. */
export type FactorEventType = 'totp' | 'passkey' | 'recovery_codes';

export interface FactorSecurityEvent {
  type: 'factor.added' | 'factor.removed';
  factorType: FactorEventType;
  factorId: string;
}

/**
 * A user has at most one set of recovery codes, and a new set replaces the old whole: the set's
 * factor_id is this name (a receiver sees the set come and go under one id).
 */
export const RECOVERY_CODES_FACTOR_ID = 'recovery_codes';

export const factorAdded = (factorType: FactorEventType, factorId: string): FactorSecurityEvent => ({ type: 'factor.added', factorType, factorId });
export const factorRemoved = (factorType: FactorEventType, factorId: string): FactorSecurityEvent => ({ type: 'factor.removed', factorType, factorId });

/**
 * The security events of a change of the user's factors (issue 29), in its transaction. Call it
 * after the change's other writes: recordSecurityEvent takes the subject's lock, which must be the
 * transaction's last.
 */
export async function recordFactorEvents(manager: EntityManager, userId: string, events: readonly FactorSecurityEvent[], initiatedBy: InitiatingEntity = 'user'): Promise<void> {
  for (const event of events) {
    await recordSecurityEvent(manager, { type: event.type, subject: { user: userId }, initiatedBy, data: { factor_id: event.factorId, factor_type: event.factorType } });
  }
}
