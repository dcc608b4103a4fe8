import type { EntityManager } from 'typeorm';
import type { User } from '../../db/entities/index';
import { AppError } from '../../errors/app-error';
import { recordEvent, type AuditClient } from '../audit/audit-events';
import { insertUser } from '../accounts/users';
import { bumpSecurityStamp } from '../accounts/security-stamp';
import { sql } from '../sql';
import type { ProviderIdentity } from './id-token-verifier';
import type { FederationObserver } from './observer';
import { findIdentityForUpdate, insertIdentity, lockUser, touchIdentity } from './identities';
import { dropUnprovenCredentials } from './takeover-defence';

/** How a provider sign-in found its account: for the audit detail, the metric and `created` in the answer. */
export type AccountResolution = 'identity' | 'linked_by_email' | 'created';

export interface ResolvedAccount {
  user: User;
  resolution: AccountResolution;
  /** The pre-account-takeover defence ran: the account's unproven password and sessions were dropped before the link. */
  takeoverDefence: boolean;
}

/**
 * The account a verified provider identity signs in to (issue 25, "Identities and linking"):
 * 1. the user already linked to (provider, sub);
 * 2. else the account with the same address, linked automatically only because both sides
 *    proved it: the provider (email_verified, checked by the verifier) and our account
 *    (email_verified_at). An account whose address was never proven may have been registered by
 *    someone else to wait for the owner (pre-account takeover): its password, sessions, pending
 *    links, second factors, connected apps and access tokens are dropped before the identity is
 *    linked (takeover-defence.ts), and that is audited;
 * 3. else a new account of the provider's address, proven, with no password, in the language of
 *    the request (`client.locale`, issue 30).
 * Counted once committed (countResolution).
 * All of it inside the caller's transaction, under row locks on the identity and the user.
 */
export async function resolveAccount(
  manager: EntityManager,
  identity: ProviderIdentity,
  displayName: string | null,
  client: AuditClient & { locale?: string | null | undefined },
): Promise<ResolvedAccount> {
  const linked = await findIdentityForUpdate(manager, identity.provider, identity.subject);
  if (linked) {
    const user = await lockUser(manager, { id: linked.user_id });
    if (!user) throw new Error(`identity ${linked.id} has no user`);
    await touchIdentity(manager, linked.id, identity);
    // Apple gives the name to the app on the first sign-in only: a later one without it keeps what is stored.
    if (displayName && user.displayName === null) await setDisplayName(manager, user, displayName);
    return { user, resolution: 'identity', takeoverDefence: false };
  }
  const existing = await lockUser(manager, { email: identity.email });
  if (existing) {
    if (!existing.isActive || existing.deletedAt) throw new AppError('account_disabled', 'This account has been deactivated.');
    const takeoverDefence = existing.emailVerifiedAt === null;
    if (takeoverDefence) await dropUnprovenCredentials(manager, existing, identity, client);
    await insertIdentity(manager, existing.id, identity);
    // A new way in: links mailed before it die (issue 22's security stamp).
    await bumpSecurityStamp(manager, existing.id);
    await recordEvent(manager, { type: 'identity_linked', userId: existing.id, client, detail: { provider: identity.provider, via: 'verified_email' } });
    if (displayName && existing.displayName === null) await setDisplayName(manager, existing, displayName);
    return { user: existing, resolution: 'linked_by_email', takeoverDefence };
  }
  const user = await insertUser(manager, { email: identity.email, passwordHash: null, displayName, role: 'player', locale: client.locale ?? null });
  await sql(manager, `UPDATE auth.users SET email_verified_at = statement_timestamp() WHERE id = $1`, [user.id]);
  user.emailVerifiedAt = new Date();
  await insertIdentity(manager, user.id, identity);
  await recordEvent(manager, { type: 'user_registered', userId: user.id, client, detail: { role: 'player', method: 'id_token', provider: identity.provider } });
  return { user, resolution: 'created', takeoverDefence: false };
}

/** Counts what a committed resolution changed (auth_identity_changes_total): a link by address, and the takeover defence before it. */
export function countResolution(observer: FederationObserver | undefined, resolved: ResolvedAccount): void {
  if (resolved.takeoverDefence) observer?.identityChanged?.('takeover_defence');
  if (resolved.resolution === 'linked_by_email') observer?.identityChanged?.('linked');
}

async function setDisplayName(manager: EntityManager, user: User, displayName: string): Promise<void> {
  await sql(manager, `UPDATE auth.users SET display_name = $2 WHERE id = $1 AND display_name IS NULL`, [user.id, displayName]);
  user.displayName = displayName;
}
