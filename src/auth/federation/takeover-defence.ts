import type { EntityManager } from 'typeorm';
import type { User } from '../../db/entities/index';
import { bumpSecurityStamp } from '../accounts/security-stamp';
import { recordEvent, type AuditClient } from '../audit/audit-events';
import { factorRemoved, recordFactorEvents, RECOVERY_CODES_FACTOR_ID, type FactorSecurityEvent } from '../factors/factor-changes';
import { revokeGrantRows } from '../oidc/adapter';
import { revokeUserSessions } from '../sessions/revocation';
import { sql } from '../sql';
import type { ProviderIdentity } from './id-token-verifier';

/**
 * The pre-account-takeover defence (issue 25): whoever registered this address never proved it,
 * and a provider just did, so everything they could have set up to keep a way in goes before the
 * identity is linked: the password, every session, every pending mail link, and the second
 * factors (a passkey signs in on its own, without the password; a TOTP secret or recovery codes
 * would stand between the owner and the account), the cats they connected to the account (their
 * OpenID grants and tokens), personal access tokens, and device logins approved but not yet
 * collected. The real owner sets a password through the reset flow; the address counts as proven.
 */
export async function dropUnprovenCredentials(manager: EntityManager, user: User, identity: ProviderIdentity, client: AuditClient): Promise<void> {
  const hadCredential = user.passwordHash !== null;
  await sql(manager, `UPDATE auth.users SET password_hash = NULL, email_verified_at = statement_timestamp(), updated_at = statement_timestamp() WHERE id = $1`, [user.id]);
  const sessionsEnded = await revokeUserSessions(manager, user.id, 'identity_takeover_defence');
  const { rows } = await sql<{ n: number }>(manager, `SELECT count(*)::int AS n FROM auth.account_tokens WHERE user_id = $1 AND used_at IS NULL`, [user.id]);
  const linksDropped = rows[0]!.n;
  // The stamp kills every pending link (a squatter's email change or reset included) and marks them used.
  await bumpSecurityStamp(manager, user.id);
  const factors = await dropFactors(manager, user.id);
  const apps = await sql<{ grant_id: string }>(
    manager,
    `UPDATE auth.connected_apps SET revoked_at = now(), revoked_reason = 'identity_takeover_defence' WHERE user_id = $1 AND revoked_at IS NULL RETURNING grant_id`,
    [user.id],
  );
  for (const app of apps.rows) await revokeGrantRows(manager, app.grant_id);
  const tokens = await sql(
    manager,
    `UPDATE auth.personal_access_tokens SET revoked_at = statement_timestamp(), revoked_reason = 'identity_takeover_defence' WHERE user_id = $1 AND revoked_at IS NULL`,
    [user.id],
  );
  const devices = await sql(manager, `UPDATE auth.device_authorizations SET status = 'denied' WHERE user_id = $1 AND status = 'approved'`, [user.id]);
  await recordEvent(manager, {
    type: 'identity_takeover_defence',
    userId: user.id,
    client,
    detail: {
      provider: identity.provider,
      credential_dropped: hadCredential,
      sessions_ended: sessionsEnded,
      links_dropped: linksDropped,
      factors_dropped: factors.length,
      apps_revoked: apps.count,
      access_tokens_revoked: tokens.count,
      device_logins_denied: devices.count,
    },
  });
  user.passwordHash = null;
  user.emailVerifiedAt = new Date();
  // The other services hear of the factors going (issue 29), as of any other factor change.
  await recordFactorEvents(manager, user.id, factors, 'policy');
}

/** Deletes the user's TOTP secret, passkeys, recovery codes and pending MFA challenges; the factors removed, as security events name them. */
async function dropFactors(manager: EntityManager, userId: string): Promise<FactorSecurityEvent[]> {
  const totp = await sql<{ id: string }>(manager, `DELETE FROM auth.totp_factors WHERE user_id = $1 RETURNING id`, [userId]);
  const passkeys = await sql<{ id: string }>(manager, `DELETE FROM auth.webauthn_credentials WHERE user_id = $1 RETURNING id`, [userId]);
  const codes = await sql(manager, `DELETE FROM auth.recovery_codes WHERE user_id = $1`, [userId]);
  await sql(manager, `DELETE FROM auth.mfa_challenges WHERE user_id = $1`, [userId]);
  return [
    ...totp.rows.map((r) => factorRemoved('totp', r.id)),
    ...passkeys.rows.map((r) => factorRemoved('passkey', r.id)),
    ...(codes.count > 0 ? [factorRemoved('recovery_codes', RECOVERY_CODES_FACTOR_ID)] : []),
  ];
}
