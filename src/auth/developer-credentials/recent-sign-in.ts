import type { DataSource, EntityManager } from 'typeorm';
import { AppError } from '../../errors/app-error';
import { sql } from '../sql';

/**
 * Sensitive developer actions (creating a personal access token) need a recent sign-in: the
 * session must have started at most `maxAgeSeconds` ago. A session's start is its sign-in (a
 * refresh keeps the session, so it proves possession of the refresh token, not of the account).
 * Issue 26 (step-up) adds a fresh second factor as another way to pass; its check replaces this one.
 */
export async function assertRecentSignIn(executor: DataSource | EntityManager, sessionId: string, maxAgeSeconds: number): Promise<void> {
  const { rows } = await sql<{ recent: boolean }>(
    executor,
    `SELECT statement_timestamp() - created_at <= make_interval(secs => $2) AS recent FROM auth.sessions WHERE id = $1`,
    [sessionId, maxAgeSeconds],
  );
  if (!rows[0]?.recent) {
    throw new AppError(
      'reauthentication_required',
      `This needs a sign-in from the last ${Math.round(maxAgeSeconds / 60)} minutes: sign in again (cathouse login), then retry.`,
      { fields: { max_age: maxAgeSeconds } },
    );
  }
}
