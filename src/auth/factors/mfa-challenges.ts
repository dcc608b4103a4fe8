import { createHash, randomBytes } from 'node:crypto';
import type { DataSource, EntityManager } from 'typeorm';
import { AppError } from '../../errors/app-error';
import { asMethods, type AuthenticationMethod, type ProviderSignIn } from '../oidc/authentication-context';
import { sql } from '../sql';

/**
 * The MFA token: what a correct first factor answers when the account has a second factor. 32
 * random bytes, stored as a SHA-256, valid MFA_TOKEN_TTL_SECONDS, spent by the sign-in it
 * completes, and dead after MAX_WRONG_ANSWERS wrong second factors (the per-account throttle
 * bounds guesses across challenges as well).
 */
export const MAX_WRONG_ANSWERS = 5;

export interface LiveMfaChallenge {
  id: string;
  userId: string;
  /** The methods already proven (pwd, fed). */
  methods: AuthenticationMethod[];
  /** The provider sign-in that proved `fed`; undefined after a password (and for a challenge issued before it was kept). */
  providerSignIn: ProviderSignIn | undefined;
}

const hash = (token: string) => createHash('sha256').update(token, 'utf8').digest();

export function invalidMfaToken(): AppError {
  return new AppError('invalid_mfa_token', 'The MFA token is unknown, expired, already used, or had too many wrong answers: sign in again.');
}

export async function issueMfaChallenge(
  dataSource: DataSource,
  userId: string,
  methods: AuthenticationMethod[],
  ttlSeconds: number,
  providerSignIn?: ProviderSignIn,
): Promise<string> {
  const token = randomBytes(32).toString('base64url');
  await sql(
    dataSource,
    `INSERT INTO auth.mfa_challenges (user_id, token_hash, amr, expires_at, sign_in_method, sign_in_provider)
     VALUES ($1, $2, $3, statement_timestamp() + make_interval(secs => $4), $5, $6)`,
    [userId, hash(token), methods, ttlSeconds, providerSignIn?.method ?? null, providerSignIn?.provider ?? null],
  );
  return token;
}

/** The live challenge of `token`, or invalid_mfa_token. */
export async function findMfaChallenge(dataSource: DataSource, token: string): Promise<LiveMfaChallenge> {
  const { rows } = await sql<{ id: string; user_id: string; amr: string[]; sign_in_method: string | null; sign_in_provider: string | null }>(
    dataSource,
    `SELECT id, user_id, amr, sign_in_method, sign_in_provider FROM auth.mfa_challenges
      WHERE token_hash = $1 AND used_at IS NULL AND expires_at > statement_timestamp() AND failed_attempts < $2`,
    [hash(token), MAX_WRONG_ANSWERS],
  );
  const row = rows[0];
  if (!row) throw invalidMfaToken();
  return { id: row.id, userId: row.user_id, methods: asMethods(row.amr), providerSignIn: providerSignInOf(row.sign_in_method, row.sign_in_provider) };
}

function providerSignInOf(method: string | null, provider: string | null): ProviderSignIn | undefined {
  if ((method === 'id_token' || method === 'redirect') && provider) return { method, provider };
  return undefined;
}

/** Spends the challenge in the transaction that starts the session; invalid_mfa_token when another request spent it first. */
export async function spendMfaChallenge(manager: EntityManager, id: string): Promise<void> {
  const { rows } = await sql(
    manager,
    `UPDATE auth.mfa_challenges SET used_at = statement_timestamp() WHERE id = $1 AND used_at IS NULL AND expires_at > statement_timestamp() RETURNING 1 AS spent`,
    [id],
  );
  if (rows.length !== 1) throw invalidMfaToken();
}

/** A wrong answer: counted, and the challenge dies at MAX_WRONG_ANSWERS. */
export async function countWrongAnswer(dataSource: DataSource, id: string): Promise<void> {
  await sql(dataSource, `UPDATE auth.mfa_challenges SET failed_attempts = failed_attempts + 1 WHERE id = $1`, [id]);
}
