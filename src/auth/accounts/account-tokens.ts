import { createHash, randomBytes } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import type { AccountTokenPurpose } from '../../db/entities/index';
import { AppError } from '../../errors/app-error';
import { sql } from '../sql';

/**
 * Single-use tokens that travel in mail links: email verification, email change, password reset.
 * 32 random bytes (256 bits) as base64url; only the SHA-256 is stored, so a copy of the database
 * yields no usable link. A token is spent by one UPDATE that also checks purpose, expiry, that it
 * is unused and that the user's security stamp is the one it was issued under (security-stamp.ts),
 * so two POSTs of the same token cannot both succeed and a change of credential kills it.
 */
const ACCOUNT_TOKEN_BYTES = 32;
const ACCOUNT_TOKEN_SHAPE = /^[A-Za-z0-9_-]{43}$/;

export function generateAccountToken(): string {
  return randomBytes(ACCOUNT_TOKEN_BYTES).toString('base64url');
}

export function hashAccountToken(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

/** 400 link_invalid: unknown, expired, already used, superseded, or meant for another page. One answer for all. */
export function linkInvalid(): AppError {
  return new AppError('link_invalid', 'This link is invalid or has expired; ask for a new one.');
}

/**
 * Stores a new token for `userId` and `purpose` in the caller's transaction, under the user's
 * current security stamp, and marks every earlier unused token of that purpose used: only the
 * newest link works.
 */
export async function issueAccountToken(
  manager: EntityManager,
  userId: string,
  purpose: AccountTokenPurpose,
  ttlSeconds: number,
  newEmail: string | null = null,
): Promise<string> {
  const token = generateAccountToken();
  await sql(
    manager,
    `WITH superseded AS (
       UPDATE auth.account_tokens SET used_at = statement_timestamp()
        WHERE user_id = $1 AND purpose = $2 AND used_at IS NULL
     )
     INSERT INTO auth.account_tokens (user_id, purpose, token_hash, new_email, expires_at, security_stamp)
     SELECT $1, $2, $3, $4, statement_timestamp() + make_interval(secs => $5), u.security_stamp FROM auth.users u WHERE u.id = $1`,
    [userId, purpose, hashAccountToken(token), newEmail, ttlSeconds],
  );
  return token;
}

export interface SpentAccountToken {
  userId: string;
  purpose: AccountTokenPurpose;
  newEmail: string | null;
}

/** A token that did not spend, with the user it names when the row exists (for link_token_refused). */
export class RefusedLink extends AppError {
  constructor(readonly userId: string | null) {
    super('link_invalid', linkInvalid().detail);
  }
}

/**
 * Spends a token of one of `purposes` in the caller's transaction; throws link_invalid (a
 * RefusedLink) if it is not a live token of those purposes under the user's current stamp. The
 * user's row is locked first, so a concurrent change of credential (which bumps the stamp under
 * the same lock) either commits before, and the token dies, or waits for this transaction; and
 * the change that follows (a new password, a new email) is judged against the row as it is now.
 */
export async function spendAccountToken(
  manager: EntityManager,
  token: string,
  purposes: readonly AccountTokenPurpose[],
): Promise<SpentAccountToken> {
  if (!ACCOUNT_TOKEN_SHAPE.test(token)) throw new RefusedLink(null);
  const hash = hashAccountToken(token);
  const { rows: owners } = await sql<{ user_id: string }>(manager, `SELECT user_id FROM auth.account_tokens WHERE token_hash = $1`, [hash]);
  const owner = owners[0]?.user_id;
  if (!owner) throw new RefusedLink(null);
  // A statement of its own: the spend below then reads the stamp as committed after the lock.
  await sql(manager, `SELECT 1 FROM auth.users WHERE id = $1 FOR UPDATE`, [owner]);
  const { rows } = await sql<{ user_id: string; purpose: AccountTokenPurpose; new_email: string | null }>(
    manager,
    `UPDATE auth.account_tokens t SET used_at = statement_timestamp()
       FROM auth.users u
      WHERE t.token_hash = $1 AND t.purpose = ANY($2::varchar[]) AND t.used_at IS NULL
        AND t.expires_at > statement_timestamp() AND u.id = t.user_id AND u.deleted_at IS NULL AND u.is_active
        AND t.security_stamp = u.security_stamp
     RETURNING t.user_id, t.purpose, t.new_email`,
    [hash, purposes],
  );
  const row = rows[0];
  if (!row) throw new RefusedLink(owner);
  return { userId: row.user_id, purpose: row.purpose, newEmail: row.new_email };
}
