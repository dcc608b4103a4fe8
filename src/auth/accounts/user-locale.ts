import type { DataSource, EntityManager } from 'typeorm';
import { sql } from '../sql';

/**
 * The user's language (issue 30, auth.users.locale): what their mail is written in. Set at
 * registration (the body's `locale`, else Accept-Language) and by PATCH me; null clears it
 * (MAIL_DEFAULT_LOCALE). `undefined` leaves it as it is; either way the current value is answered.
 */
export async function setUserLocale(executor: DataSource | EntityManager, userId: string, locale: string | null | undefined): Promise<string | null> {
  const { rows } = await sql<{ locale: string | null }>(
    executor,
    `UPDATE auth.users SET locale = CASE WHEN $2 THEN $3 ELSE locale END, updated_at = CASE WHEN $2 THEN statement_timestamp() ELSE updated_at END
      WHERE id = $1 RETURNING locale`,
    [userId, locale !== undefined, locale ?? null],
  );
  return rows[0]?.locale ?? null;
}
