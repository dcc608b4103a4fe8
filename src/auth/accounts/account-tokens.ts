import { createHash, randomBytes } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import type { AccountTokenPurpose } from '../../db/entities/index';
import { AppError } from '../../errors/app-error';
import { sql } from '../sql';

/**
 * Single-use tokens that travel in mail links: email verification, email change, password reset.
 * 32 random bytes (256 bits) as base64url; only the SHA-256 is stored, so a copy of the database
 * yields no usable link. A token is spent by one UPDATE that also checks purpose, expiry and
 * that it is unused, so two POSTs of the same token cannot both succeed.
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
 * Stores a new token for `userId` and `purpose` in the caller's transaction, and marks every
 * earlier unused token of that purpose used: only the newest link works.
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
     INSERT INTO auth.account_tokens (user_id, purpose, token_hash, new_email, expires_at)
     VALUES ($1, $2, $3, $4, statement_timestamp() + make_interval(secs => $5))`,
    [userId, purpose, hashAccountToken(token), newEmail, ttlSeconds],
  );
  return token;
}

export interface SpentAccountToken {
  userId: string;
  purpose: AccountTokenPurpose;
  newEmail: string | null;
}

/**
 * Spends a token of one of `purposes` in the caller's transaction; throws link_invalid if it is
 * not a live token of those purposes. The user's row is locked too, so the change that follows
 * (a new password, a new email) is judged against the row as it is now.
 */
export async function spendAccountToken(
  manager: EntityManager,
  token: string,
  purposes: readonly AccountTokenPurpose[],
): Promise<SpentAccountToken> {
  if (!ACCOUNT_TOKEN_SHAPE.test(token)) throw linkInvalid();
  const { rows } = await sql<{ user_id: string; purpose: AccountTokenPurpose; new_email: string | null }>(
    manager,
    `UPDATE auth.account_tokens t SET used_at = statement_timestamp()
       FROM auth.users u
      WHERE t.token_hash = $1 AND t.purpose = ANY($2::varchar[]) AND t.used_at IS NULL
        AND t.expires_at > statement_timestamp() AND u.id = t.user_id AND u.deleted_at IS NULL AND u.is_active
     RETURNING t.user_id, t.purpose, t.new_email`,
    [hashAccountToken(token), purposes],
  );
  const row = rows[0];
  if (!row) throw linkInvalid();
  await sql(manager, `SELECT 1 FROM auth.users WHERE id = $1 FOR UPDATE`, [row.user_id]);
  return { userId: row.user_id, purpose: row.purpose, newEmail: row.new_email };
}

/** Ends every unused token of a user (account deletion). */
export async function revokeAccountTokens(manager: EntityManager, userId: string): Promise<void> {
  await sql(manager, `UPDATE auth.account_tokens SET used_at = statement_timestamp() WHERE user_id = $1 AND used_at IS NULL`, [userId]);
}
