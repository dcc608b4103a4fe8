import type { DataSource } from 'typeorm';
import { AppError } from '../../errors/app-error';
import { recordEvent } from '../audit/audit-events';
import type { GrantWithUser, Principal } from '../principal';
import type { ClientInfo } from '../sessions/sessions';
import { countResolution, resolveAccount, type AccountResolution } from './account-linking';
import { IdTokenRefused } from './id-token-errors';
import type { IdTokenVerifier, ProviderIdentity } from './id-token-verifier';
import { findIdentityForUpdate, identityInUse, insertIdentity, listIdentities, lockUser, type PublicIdentity } from './identities';
import type { FederationObserver } from './observer';
import type { SessionGrant } from './session-grant';
import { providerSessions, type MfaChallenger, type ProviderSessions } from './provider-sessions';
import { sql } from '../sql';
import { bumpSecurityStamp } from '../accounts/security-stamp';

export interface IdTokenSignIn {
  provider: string;
  id_token: string;
  nonce?: string | undefined;
  /** The name the app received from the provider (Apple: on the first sign-in only, outside the token). */
  display_name?: string | undefined;
  /** The language the app chose for a new account (issue 30); guest/upgrade reads it here, POST id-token from ClientInfo.locale. */
  locale?: string | undefined;
}

export interface FederationDeps {
  dataSource: DataSource;
  verifier: IdTokenVerifier;
  grant: SessionGrant;
  observer?: FederationObserver | undefined;
  /** Issue 26: the MFA challenge for an account with a second factor (FactorSignIn). */
  challenger?: MfaChallenger | undefined;
}

/** Sign-in with other providers' ID tokens, and the identities linked to an account (issue 25). */
export class FederationService {
  private readonly observer: FederationObserver;
  private readonly sessions: ProviderSessions;

  constructor(private readonly deps: FederationDeps) {
    this.observer = deps.observer ?? {};
    this.sessions = providerSessions(deps);
  }

  /** Verifies the token, counting a refusal by its reason, and answers the provider's identity. */
  async verify(input: IdTokenSignIn): Promise<ProviderIdentity> {
    try {
      return await this.deps.verifier.verify(input.provider, input.id_token, input.nonce);
    } catch (err) {
      if (err instanceof IdTokenRefused) this.observer.idTokenRefused?.(input.provider, err.reason);
      else if (err instanceof AppError && (err.code === 'unknown_provider' || err.code === 'provider_unavailable')) {
        this.observer.idTokenRefused?.(input.provider, err.code);
      }
      throw err;
    }
  }

  /**
   * POST id-token: signs in (or up) with a native ID token; `created` says the account is new. An
   * account with a second factor gets 403 mfa_required instead (provider-sessions.ts), after the
   * account's resolution (a link, the takeover defence) has committed.
   */
  async signIn(input: IdTokenSignIn, client: ClientInfo): Promise<GrantWithUser & { resolution: AccountResolution }> {
    const identity = await this.verify(input);
    const via = { method: 'id_token', provider: identity.provider } as const;
    const { resolved, grant } = await this.deps.dataSource.transaction(async (manager) => {
      const resolved = await resolveAccount(manager, identity, input.display_name?.trim() || identity.name, client);
      if (!resolved.user.isActive) throw new AppError('account_disabled', 'This account has been deactivated.');
      return { resolved, grant: await this.sessions.inTransaction(manager, resolved.user, client, via) };
    });
    countResolution(this.observer, resolved);
    const issued = grant ?? (await this.sessions.afterCommit(resolved.user, client, via));
    this.observer.signIn?.('id_token', identity.provider);
    return { ...issued, resolution: resolved.resolution };
  }

  /** GET me/identities. */
  async list(principal: Principal): Promise<PublicIdentity[]> {
    return this.deps.dataSource.transaction((manager) => listIdentities(manager, principal.userId));
  }

  /**
   * POST me/identities: links the provider account a fresh ID token proves to the signed-in user.
   * The same link again is no change; an identity of another account is 409 identity_in_use.
   */
  async link(principal: Principal, input: IdTokenSignIn, client: ClientInfo): Promise<PublicIdentity> {
    if (principal.role === 'guest') throw new AppError('guest_not_allowed', 'A guest adds a provider account by upgrading: POST guest/upgrade.');
    const identity = await this.verify(input);
    const linked = await this.deps.dataSource.transaction(async (manager) => {
      await lockUser(manager, { id: principal.userId });
      const existing = await findIdentityForUpdate(manager, identity.provider, identity.subject);
      if (existing && existing.user_id !== principal.userId) throw identityInUse();
      if (existing) return (await listIdentities(manager, principal.userId)).find((i) => i.id === existing.id)!;
      const created = await insertIdentity(manager, principal.userId, identity);
      await bumpSecurityStamp(manager, principal.userId);
      await recordEvent(manager, { type: 'identity_linked', userId: principal.userId, sessionId: principal.sessionId, client, detail: { provider: identity.provider, via: 'signed_in' } });
      return created;
    });
    this.observer.identityChanged?.('linked');
    return linked;
  }

  /** DELETE me/identities/{id}: refused (409 last_identity) when it is the account's last way in. */
  async unlink(principal: Principal, identityId: string, client: ClientInfo): Promise<void> {
    await this.deps.dataSource.transaction(async (manager) => {
      const user = await lockUser(manager, { id: principal.userId });
      const identities = await listIdentities(manager, principal.userId);
      const target = identities.find((i) => i.id === identityId);
      if (!user || !target) throw new AppError('not_found', 'No linked identity with this id.');
      if (user.passwordHash === null && identities.length <= 1) {
        throw new AppError('last_identity', 'This is the last way to sign in to this account: set a password (reset flow) or link another provider first.');
      }
      await sql(manager, `DELETE FROM auth.identities WHERE id = $1 AND user_id = $2`, [identityId, principal.userId]);
      await bumpSecurityStamp(manager, principal.userId);
      await recordEvent(manager, { type: 'identity_unlinked', userId: principal.userId, sessionId: principal.sessionId, client, detail: { provider: target.provider } });
    });
    this.observer.identityChanged?.('unlinked');
  }
}
