import { randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import { Secret, TOTP } from 'otpauth';
import { AppError } from '../../errors/app-error';
import { sql } from '../sql';
import type { FactorDeps } from './factor-deps';
import { openSecret, sealSecret } from './secret-seal';

/**
 * The authenticator app (TOTP, RFC 6238) through `otpauth`: SHA-1, 6 digits, 30-second steps, the
 * parameters every authenticator app accepts (Google Authenticator ignores others). A code of the
 * step before or after the server's is accepted (clock drift, RFC 6238 §5.2); the step of an
 * accepted code is stored and no code of that step or an earlier one is accepted again, so a code
 * seen over a shoulder cannot be replayed. The secret is sealed at rest (secret-seal.ts).
 */
const PERIOD = 30;
const DIGITS = 6;
const WINDOW = 1;

export interface TotpEnrolment {
  secret: string;
  otpauth_uri: string;
  algorithm: 'SHA1';
  digits: number;
  period: number;
}

function totpOf(deps: Pick<FactorDeps, 'settings'>, secret: Secret, email: string): TOTP {
  return new TOTP({ issuer: deps.settings.rpName, label: email, secret, algorithm: 'SHA1', digits: DIGITS, period: PERIOD });
}

/**
 * Starts an enrolment: a new secret, pending until confirmTotp. An earlier pending one is replaced;
 * a confirmed one must be removed first (409 factor_exists).
 */
export async function beginTotp(deps: FactorDeps, user: { id: string; email: string }): Promise<TotpEnrolment> {
  const secret = new Secret({ size: 20 });
  const id = randomUUID();
  const sealed = sealSecret(deps.secrets, id, Buffer.from(secret.bytes));
  const inserted = await deps.dataSource.transaction(async (manager) => {
    await sql(manager, `DELETE FROM auth.totp_factors WHERE user_id = $1 AND confirmed_at IS NULL`, [user.id]);
    const { rows } = await sql(manager, `INSERT INTO auth.totp_factors (id, user_id, secret) VALUES ($1, $2, $3) ON CONFLICT (user_id) DO NOTHING RETURNING id`, [id, user.id, sealed]);
    return rows.length === 1;
  });
  if (!inserted) throw new AppError('factor_exists', 'An authenticator app is already set up: remove it first (DELETE me/totp) to set up another.');
  return { secret: secret.base32, otpauth_uri: totpOf(deps, secret, user.email).toString(), algorithm: 'SHA1', digits: DIGITS, period: PERIOD };
}

/**
 * Checks `code` against the user's authenticator app (the pending one when `pending`) and, when
 * it is good and of a later step than any accepted before, records its step (and confirms a
 * pending enrolment) in the caller's transaction; the app's id. Undefined for a wrong, stale or repeated code.
 */
export async function acceptTotpCode(deps: FactorDeps, manager: EntityManager, userId: string, code: string, { pending = false } = {}): Promise<string | undefined> {
  if (!/^\d{6}$/.test(code)) return undefined;
  const { rows } = await sql<{ id: string; secret: Buffer; last_used_step: string | null }>(
    manager,
    `SELECT id, secret, last_used_step FROM auth.totp_factors WHERE user_id = $1 AND (confirmed_at IS NULL) = $2 FOR UPDATE`,
    [userId, pending],
  );
  const row = rows[0];
  if (!row) return undefined;
  const opened = openSecret(deps.secrets, row.id, row.secret);
  if (!opened) {
    deps.logger?.error({ event: 'totp_secret_unreadable', user_id: userId }, 'a TOTP secret was sealed under a TOKEN_SECRET no longer accepted');
    return undefined;
  }
  const now = deps.now();
  const delta = TOTP.validate({ token: code, secret: new Secret({ buffer: new Uint8Array(opened.plain).buffer }), algorithm: 'SHA1', digits: DIGITS, period: PERIOD, timestamp: now, window: WINDOW });
  if (delta === null) return undefined;
  const step = Math.floor(now / 1000 / PERIOD) + delta;
  if (row.last_used_step !== null && step <= Number(row.last_used_step)) return undefined;
  // Sealed under a previous TOKEN_SECRET: sealed again under the current one (secret-seal.ts).
  const resealed = opened.current ? row.secret : sealSecret(deps.secrets, row.id, opened.plain);
  await sql(
    manager,
    `UPDATE auth.totp_factors SET last_used_step = $2, secret = $3, confirmed_at = COALESCE(confirmed_at, statement_timestamp()) WHERE id = $1`,
    [row.id, step, resealed],
  );
  return row.id;
}

/** Removes the user's authenticator app (pending or confirmed); the id of the confirmed one removed, if any. */
export async function deleteTotp(manager: EntityManager, userId: string): Promise<string | undefined> {
  const { rows } = await sql<{ id: string; confirmed: boolean }>(manager, `DELETE FROM auth.totp_factors WHERE user_id = $1 RETURNING id, confirmed_at IS NOT NULL AS confirmed`, [userId]);
  return rows.find((r) => r.confirmed)?.id;
}
