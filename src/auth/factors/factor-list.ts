import type { DataSource, EntityManager } from 'typeorm';
import { sql } from '../sql';

/** The kinds of second factor, as the API names them in `factors` lists. */
export type FactorKind = 'totp' | 'passkey' | 'recovery_code';

export interface FactorSummary {
  /** A confirmed authenticator app. */
  totp: boolean;
  passkeys: number;
  /** Unused recovery codes. */
  recoveryCodes: number;
}

/** What second factors a user has, in one statement. */
export async function factorSummary(executor: DataSource | EntityManager, userId: string): Promise<FactorSummary> {
  const { rows } = await sql<{ totp: boolean; passkeys: string; recovery_codes: string }>(
    executor,
    `SELECT EXISTS (SELECT 1 FROM auth.totp_factors WHERE user_id = $1 AND confirmed_at IS NOT NULL) AS totp,
            (SELECT count(*) FROM auth.webauthn_credentials WHERE user_id = $1) AS passkeys,
            (SELECT count(*) FROM auth.recovery_codes WHERE user_id = $1 AND used_at IS NULL) AS recovery_codes`,
    [userId],
  );
  const row = rows[0]!;
  return { totp: row.totp, passkeys: Number(row.passkeys), recoveryCodes: Number(row.recovery_codes) };
}

/**
 * Whether the user has a second factor. Recovery codes do not count alone: they come with a
 * factor and go with the last one (a passkey registered for passwordless sign-in counts too).
 */
export function hasFactor(summary: FactorSummary): boolean {
  return summary.totp || summary.passkeys > 0;
}

/** The factors a challenge or a step-up may be answered with, in the API's words. */
export function availableFactors(summary: FactorSummary): FactorKind[] {
  if (!hasFactor(summary)) return [];
  const kinds: FactorKind[] = [];
  if (summary.totp) kinds.push('totp');
  if (summary.passkeys > 0) kinds.push('passkey');
  if (summary.recoveryCodes > 0) kinds.push('recovery_code');
  return kinds;
}
