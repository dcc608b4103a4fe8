import type { EntityManager } from 'typeorm';
import { sql } from '../sql';

/**
 * The security stamp (issue 22 H1): a per-user counter (auth.users.security_stamp) that moves
 * with every change of credential or identity. Every mailed link (account_tokens) records the
 * stamp it was issued under and is spent only while the user's stamp is still that value
 * (spendAccountToken), so a link asked for before the change is dead after it, whoever holds it:
 * an attacker's pending email change does not survive the owner's password reset, and a reset link
 * mailed to an old address does not survive the email change.
 *
 * Call it in the transaction of the change, for every change of credential or identity: password
 * reset and change, email change, deactivation, deletion, and whatever comes next (a passkey or a
 * second factor added or removed, a social identity linked or unlinked). It takes the user's row
 * lock (the UPDATE), so a flow that compares-and-swaps on the stamp (credential-guard.ts) is
 * serialised with it.
 */
export async function bumpSecurityStamp(manager: EntityManager, userId: string): Promise<string> {
  const { rows } = await sql<{ security_stamp: string }>(
    manager,
    `UPDATE auth.users SET security_stamp = security_stamp + 1, updated_at = statement_timestamp() WHERE id = $1 RETURNING security_stamp`,
    [userId],
  );
  // The stamp alone already refuses them; marking them used as well keeps the table honest for
  // the admin's view and lets pruning delete them a day from now.
  await sql(manager, `UPDATE auth.account_tokens SET used_at = statement_timestamp() WHERE user_id = $1 AND used_at IS NULL`, [userId]);
  return rows[0]!.security_stamp;
}
