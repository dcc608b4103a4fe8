import type { EntityManager } from 'typeorm';
import { bumpSecurityStamp } from '../accounts/security-stamp';
import { recordEvent, type AuditClient } from '../audit/audit-events';
import { enqueueMail } from '../mail/outbox';
import type { FactorMailTemplate } from '../mail/factor-messages';
import { sql } from '../sql';
import type { FactorDeps } from './factor-deps';
import type { FactorKind } from './factor-list';

/**
 * What every change of a user's factors does besides the change itself, in its transaction: the
 * audit event, and a notice to the account's address (a factor the owner did not add is how an
 * attacker keeps an account). Adding or removing a factor is a credential change (issue 22's
 * security stamp: link tokens mailed before it die).
 */
export interface FactorChange {
  userId: string;
  /** Who did it when not the user (an admin's reset). */
  actorId?: string | null;
  sessionId?: string | null;
  client: AuditClient;
  event: 'factor_added' | 'factor_removed' | 'recovery_codes_generated' | 'recovery_code_used' | 'factors_reset';
  factor?: FactorKind | 'all';
  /** Words for the mail: "a passkey (MacBook)". */
  words?: string;
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
    params: { ...(change.words && { factor: change.words }), ...(change.remaining !== undefined && { remaining: change.remaining }) },
  });
}

/** A credential of the user changed: issue 22's security stamp moves, so every link mailed before it dies. */
function credentialChanged(manager: EntityManager, userId: string): Promise<string> {
  return bumpSecurityStamp(manager, userId);
}
