import type { DataSource, QueryRunner } from 'typeorm';

/**
 * How the refresh tests look at stored refresh-token state. Since issue 15 a family's state is
 * its session row: the current generation, the SHA-256 of the current token, and when it was
 * rotated (src/auth/sessions/); a token names its session. The tests' assertions are about
 * behaviour and stay as they were; only these probes know the storage.
 */

/** The session a refresh token names (its first 22 characters are the session's uuid, base64url). */
export function sessionOfToken(token: string): string {
  const hex = Buffer.from(token.slice(0, 22), 'base64url').toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/**
 * Live (not rotated away) and issued refresh tokens of a session, and its revocation: a session
 * holds one current token, and has issued one per generation.
 */
export async function tokenCounts(dataSource: DataSource, sessionId: string): Promise<{ live: number; total: number; revoked_at: Date | null }> {
  const [row] = await dataSource.query(
    `SELECT (refresh_token_hash IS NOT NULL)::int AS live, refresh_generation + 1 AS total, revoked_at FROM auth.sessions WHERE id = $1`,
    [sessionId],
  );
  return row;
}

/** Moves the last rotation of the token's session `seconds` into the past (instead of sleeping through the interval). */
export async function ageLastRotation(dataSource: DataSource, token: string, seconds: number): Promise<void> {
  await dataSource.query(`UPDATE auth.sessions SET refresh_rotated_at = refresh_rotated_at - make_interval(secs => $2) WHERE id = $1`, [
    sessionOfToken(token),
    seconds,
  ]);
}

/** Makes the token expired: a token lives as long as its session's sliding expiry. */
export async function expireToken(dataSource: DataSource, token: string): Promise<void> {
  await dataSource.query(`UPDATE auth.sessions SET expires_at = now() - interval '1 second' WHERE id = $1`, [sessionOfToken(token)]);
}

/** Holds the row every refresh of this token must lock, in the runner's open transaction. */
export async function lockTokenRow(runner: QueryRunner, token: string): Promise<void> {
  await runner.query(`SELECT 1 FROM auth.sessions WHERE id = $1 FOR UPDATE`, [sessionOfToken(token)]);
}
