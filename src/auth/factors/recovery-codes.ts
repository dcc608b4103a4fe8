import { createHash, randomBytes } from 'node:crypto';
import type { DataSource, EntityManager } from 'typeorm';
import { sql } from '../sql';

/**
 * Recovery codes (issue 26): ten per set, each 16 characters of Crockford's base32 (80 random bits)
 * shown as `xxxx-xxxx-xxxx-xxxx`, stored only as a SHA-256 (at 80 bits a search of the hash space
 * is out of reach, so a slow hash would only slow down the check), single use. A new set replaces
 * the old one whole.
 */
export const RECOVERY_CODE_COUNT = 10;
const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';

function newCode(): string {
  const bytes = randomBytes(10);
  let bits = 0;
  let value = 0;
  let out = '';
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += ALPHABET[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  return out.match(/.{4}/g)!.join('-');
}

/** What a person may type: any case, with or without hyphens and spaces, Crockford's look-alikes (i, l → 1; o → 0). */
export function normalizeRecoveryCode(code: string): string {
  return code.toLowerCase().replace(/[\s-]/g, '').replace(/[il]/g, '1').replace(/o/g, '0');
}

function hashCode(code: string): Buffer {
  return createHash('sha256').update(`recovery-code:${normalizeRecoveryCode(code)}`, 'utf8').digest();
}

/** Replaces the user's codes by a new set, in the caller's transaction; returns the codes (shown once). */
export async function replaceRecoveryCodes(manager: EntityManager, userId: string): Promise<string[]> {
  const codes = Array.from({ length: RECOVERY_CODE_COUNT }, newCode);
  await sql(manager, `DELETE FROM auth.recovery_codes WHERE user_id = $1`, [userId]);
  await sql(manager, `INSERT INTO auth.recovery_codes (user_id, code_hash) SELECT $1, unnest($2::bytea[])`, [userId, codes.map(hashCode)]);
  return codes;
}

/** Spends one code of the user; the number left, or undefined when it is not an unused code of theirs. */
export async function spendRecoveryCode(executor: DataSource | EntityManager, userId: string, code: string): Promise<number | undefined> {
  if (!/^[0-9a-z]{16}$/.test(normalizeRecoveryCode(code))) return undefined;
  const { rows } = await sql<{ remaining: string }>(
    executor,
    `WITH spent AS (
       UPDATE auth.recovery_codes SET used_at = statement_timestamp() WHERE user_id = $1 AND code_hash = $2 AND used_at IS NULL RETURNING id
     )
     SELECT (SELECT count(*) FROM auth.recovery_codes WHERE user_id = $1 AND used_at IS NULL) - 1 AS remaining FROM spent`,
    [userId, hashCode(code)],
  );
  return rows[0] ? Number(rows[0].remaining) : undefined;
}

/** Removes every code of the user (the last factor went, or an admin reset); how many there were. */
export async function deleteRecoveryCodes(manager: EntityManager, userId: string): Promise<number> {
  const { count } = await sql(manager, `DELETE FROM auth.recovery_codes WHERE user_id = $1`, [userId]);
  return count;
}
