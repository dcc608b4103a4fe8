import type { PublicKeyCredentialCreationOptionsJSON, RegistrationResponseJSON } from '@simplewebauthn/server';
import type { EntityManager } from 'typeorm';
import { AppError } from '../../errors/app-error';
import type { Principal } from '../principal';
import { revokeUserSessions } from '../sessions/revocation';
import { sql } from '../sql';
import { factorAdded, factorRemoved, recordFactorChange, recordFactorEvents, RECOVERY_CODES_FACTOR_ID, type FactorSecurityEvent } from './factor-changes';
import type { FactorClient, FactorDeps } from './factor-deps';
import { availableFactors, factorSummary, hasFactor, type FactorKind } from './factor-list';
import { deletePasskey, listPasskeys, registerPasskey, registrationOptions, renamePasskey, type PublicPasskey } from './passkeys';
import { deleteRecoveryCodes, replaceRecoveryCodes } from './recovery-codes';
import { requireStepUp, type StepUpAction } from './step-up-policy';
import type { UserRole } from '../../db/entities/index';
import { acceptTotpCode, beginTotp, deleteTotp, type TotpEnrolment } from './totp';
import type { MailedFactorKind } from '../mail/factor-messages';

const RECOVERY_CODES_ADDED = factorAdded('recovery_codes', RECOVERY_CODES_FACTOR_ID);
const RECOVERY_CODES_REMOVED = factorRemoved('recovery_codes', RECOVERY_CODES_FACTOR_ID);

/** GET me/factors. */
export interface FactorOverview {
  factors: FactorKind[];
  totp: { enabled: boolean };
  passkeys: PublicPasskey[];
  recovery_codes: { remaining: number };
}

/**
 * A user's second factors: enrolment (passkeys, the authenticator app), recovery codes, removal,
 * and an admin's reset. The first factor a user sets up comes with a set of recovery codes (shown
 * once, in that answer); removing the last one removes them too. Adding a factor to an account
 * that has one, and every removal, needs a step-up (step-up-policy.ts); so does the first factor
 * when the session's sign-in is not recent. Every change is audited and mailed (factor-changes.ts),
 * and ends its transaction with its security events (factor.added / factor.removed, issue 29).
 */
export class FactorService {
  constructor(private readonly deps: FactorDeps) {}

  private stepUp(principal: Principal, action: StepUpAction): Promise<void> {
    return requireStepUp(this.deps, principal, action);
  }

  /** The step-up rule for an action outside this service (account changes, admin, OpenID clients). */
  requireStepUp(principal: Principal, action: StepUpAction, options: { role?: UserRole } = {}): Promise<void> {
    return requireStepUp(this.deps, principal, action, options);
  }

  async overview(principal: Principal): Promise<FactorOverview> {
    const summary = await factorSummary(this.deps.dataSource, principal.userId);
    return {
      factors: availableFactors(summary),
      totp: { enabled: summary.totp },
      passkeys: await listPasskeys(this.deps.dataSource, principal.userId),
      recovery_codes: { remaining: hasFactor(summary) ? summary.recoveryCodes : 0 },
    };
  }

  async passkeyRegistrationOptions(principal: Principal): Promise<PublicKeyCredentialCreationOptionsJSON> {
    await this.stepUp(principal, 'add_factor');
    const u = principal.user;
    return registrationOptions(this.deps, { id: u.id, email: u.email ?? u.id, displayName: u.display_name });
  }

  async registerPasskey(principal: Principal, response: RegistrationResponseJSON, name: string | undefined, client: FactorClient): Promise<{ passkey: PublicPasskey; recovery_codes?: string[] }> {
    await this.stepUp(principal, 'add_factor');
    const result = await this.deps.dataSource.transaction(async (manager) => {
      const first = !hasFactor(await factorSummary(manager, principal.userId));
      const passkey = await registerPasskey(this.deps, manager, principal.userId, response, name);
      await this.added(manager, principal, client, { kind: 'passkey', name: passkey.name }, { passkey_id: passkey.id, device_type: passkey.device_type });
      const recoveryCodes = first ? await this.newRecoveryCodes(manager, principal, client) : undefined;
      await recordFactorEvents(manager, principal.userId, [factorAdded('passkey', passkey.id), ...(recoveryCodes ? [RECOVERY_CODES_ADDED] : [])]);
      return { passkey, ...(recoveryCodes && { recovery_codes: recoveryCodes }) };
    });
    this.deps.mailQueued();
    return result;
  }

  renamePasskey(principal: Principal, id: string, name: string): Promise<PublicPasskey> {
    return renamePasskey(this.deps.dataSource, principal.userId, id, name);
  }

  async deletePasskey(principal: Principal, id: string, client: FactorClient): Promise<void> {
    await this.stepUp(principal, 'remove_factor');
    await this.deps.dataSource.transaction(async (manager) => {
      const name = await deletePasskey(manager, principal.userId, id);
      const events = await this.removed(manager, principal, client, { kind: 'passkey', name }, { passkey_id: id });
      await recordFactorEvents(manager, principal.userId, [factorRemoved('passkey', id), ...events]);
    });
    this.deps.mailQueued();
  }

  async beginTotp(principal: Principal): Promise<TotpEnrolment> {
    await this.stepUp(principal, 'add_factor');
    return beginTotp(this.deps, { id: principal.userId, email: principal.user.email ?? principal.userId });
  }

  /** The first code of a pending authenticator app confirms it; the recovery codes come with a first factor. */
  async confirmTotp(principal: Principal, code: string, client: FactorClient): Promise<{ recovery_codes?: string[] }> {
    await this.stepUp(principal, 'add_factor');
    const throttleKey = `factor:${principal.userId}`;
    await this.deps.throttle.attempt(throttleKey, client.ip);
    const result = await this.deps.dataSource.transaction(async (manager) => {
      const first = !hasFactor(await factorSummary(manager, principal.userId));
      const totpId = await acceptTotpCode(this.deps, manager, principal.userId, code, { pending: true });
      if (!totpId) return undefined;
      await this.added(manager, principal, client, { kind: 'totp' });
      const recoveryCodes = first ? await this.newRecoveryCodes(manager, principal, client) : undefined;
      await recordFactorEvents(manager, principal.userId, [factorAdded('totp', totpId), ...(recoveryCodes ? [RECOVERY_CODES_ADDED] : [])]);
      return recoveryCodes ? { recovery_codes: recoveryCodes } : {};
    });
    if (!result) throw new AppError('invalid_credentials', 'The code is wrong or expired (or no enrolment is pending: POST me/totp first).');
    await this.deps.throttle.succeeded(throttleKey, client.ip);
    this.deps.mailQueued();
    return result;
  }

  async deleteTotp(principal: Principal, client: FactorClient): Promise<void> {
    await this.stepUp(principal, 'remove_factor');
    await this.deps.dataSource.transaction(async (manager) => {
      const totpId = await deleteTotp(manager, principal.userId);
      if (!totpId) throw new AppError('not_found', 'No authenticator app is set up.');
      const events = await this.removed(manager, principal, client, { kind: 'totp' });
      await recordFactorEvents(manager, principal.userId, [factorRemoved('totp', totpId), ...events]);
    });
    this.deps.mailQueued();
  }

  /** A new set of recovery codes; the old set stops working. */
  async regenerateRecoveryCodes(principal: Principal, client: FactorClient): Promise<{ recovery_codes: string[] }> {
    await this.stepUp(principal, 'regenerate_recovery_codes');
    return this.deps.dataSource.transaction(async (manager) => {
      if (!hasFactor(await factorSummary(manager, principal.userId))) {
        throw new AppError('invalid_request', 'Recovery codes come with a second factor: set up a passkey or an authenticator app first.');
      }
      const recoveryCodes = await this.newRecoveryCodes(manager, principal, client);
      // The new set replaces the old whole: one factor.added (the set's id does not change).
      await recordFactorEvents(manager, principal.userId, [RECOVERY_CODES_ADDED]);
      return { recovery_codes: recoveryCodes };
    });
  }

  /**
   * An admin removes every factor of a user who lost them all (and their recovery codes): audited
   * with the admin as actor, mailed to the user, and every session of the user ends; a
   * factor.removed initiated by the admin for each factor removed. The admin needs a step-up themselves.
   */
  async resetFactors(admin: Principal, userId: string, client: FactorClient): Promise<{ sessions_ended: number }> {
    if (admin.role !== 'admin') throw new AppError('forbidden', 'Only an admin may do this.');
    await this.stepUp(admin, 'reset_factors');
    const ended = await this.deps.dataSource.transaction(async (manager) => {
      const { rows } = await sql(manager, `SELECT 1 FROM auth.users WHERE id = $1 AND deleted_at IS NULL FOR UPDATE`, [userId]);
      if (!rows[0]) throw new AppError('not_found', 'No user has this id.');
      const summary = await factorSummary(manager, userId);
      const totpId = await deleteTotp(manager, userId);
      const { rows: passkeys } = await sql<{ id: string }>(manager, `DELETE FROM auth.webauthn_credentials WHERE user_id = $1 RETURNING id`, [userId]);
      const recoveryCodes = await deleteRecoveryCodes(manager, userId);
      const sessionsEnded = await revokeUserSessions(manager, userId, 'factors_reset');
      await recordFactorChange(this.deps, manager, {
        event: 'factors_reset',
        userId,
        actorId: admin.userId,
        sessionId: admin.sessionId,
        client,
        factor: 'all',
        detail: { totp: summary.totp, passkeys: summary.passkeys, recovery_codes: summary.recoveryCodes, sessions_ended: sessionsEnded },
        mail: 'factors_reset',
      });
      await recordFactorEvents(
        manager,
        userId,
        [...(totpId ? [factorRemoved('totp', totpId)] : []), ...passkeys.map((p) => factorRemoved('passkey', p.id)), ...(recoveryCodes > 0 ? [RECOVERY_CODES_REMOVED] : [])],
        'admin',
      );
      return sessionsEnded;
    });
    this.deps.mailQueued();
    return { sessions_ended: ended };
  }

  private async added(manager: EntityManager, principal: Principal, client: FactorClient, mailed: { kind: MailedFactorKind; name?: string }, detail: Record<string, unknown> = {}): Promise<void> {
    await recordFactorChange(this.deps, manager, { event: 'factor_added', userId: principal.userId, sessionId: principal.sessionId, client, factor: mailed.kind, mailed, detail, mail: 'factor_added' });
  }

  /**
   * A factor went: with the last one go the recovery codes (they would be a factor of their own);
   * the security event of that removal, for the caller to record last.
   */
  private async removed(manager: EntityManager, principal: Principal, client: FactorClient, mailed: { kind: MailedFactorKind; name?: string }, detail: Record<string, unknown> = {}): Promise<FactorSecurityEvent[]> {
    const left = hasFactor(await factorSummary(manager, principal.userId));
    const codesRemoved = left ? 0 : await deleteRecoveryCodes(manager, principal.userId);
    await recordFactorChange(this.deps, manager, {
      event: 'factor_removed',
      userId: principal.userId,
      sessionId: principal.sessionId,
      client,
      factor: mailed.kind,
      mailed,
      detail: { ...detail, factors_left: left },
      mail: 'factor_removed',
    });
    return codesRemoved > 0 ? [RECOVERY_CODES_REMOVED] : [];
  }

  private async newRecoveryCodes(manager: EntityManager, principal: Principal, client: FactorClient): Promise<string[]> {
    const codes = await replaceRecoveryCodes(manager, principal.userId);
    await recordFactorChange(this.deps, manager, { event: 'recovery_codes_generated', userId: principal.userId, sessionId: principal.sessionId, client, factor: 'recovery_code', detail: { count: codes.length } });
    return codes;
  }
}
