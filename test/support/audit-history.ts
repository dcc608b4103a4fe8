import { Client } from 'pg';

/**
 * Writes audit events with times in the past, which no service role can: auth.audit_events takes
 * its id and time from a trigger (migration 1796662452310). As a superuser with
 * session_replication_role = replica that trigger does not fire, so the rows name both; ids come
 * from the same sequence, in the order of `select`'s rows (give it an ORDER BY occurred_at to keep
 * ids in time order, as in production).
 *
 * `select` returns the columns occurred_at, type, user_id (and optionally detail). With
 * `partitions: true` the month partition of every row is created first (as the maintenance
 * would have); otherwise rows of a month without one land in the DEFAULT partition.
 */
export async function insertPastEvents(
  superuserUrl: string,
  select: string,
  params: unknown[] = [],
  { partitions = true }: { partitions?: boolean } = {},
): Promise<number> {
  const client = new Client({ connectionString: superuserUrl });
  await client.connect();
  try {
    await client.query('BEGIN');
    await client.query(`SET LOCAL session_replication_role = replica`);
    await client.query(`CREATE TEMP TABLE past_events ON COMMIT DROP AS SELECT * FROM (${select}) s`, params);
    if (partitions) {
      await client.query(
        `SELECT auth_audit.create_partition(m, 'auth.audit_events')
           FROM (SELECT DISTINCT date_trunc('month', occurred_at AT TIME ZONE 'UTC')::date AS m FROM past_events) months`,
      );
    }
    const { rowCount } = await client.query(
      `INSERT INTO auth.audit_events (id, occurred_at, type, user_id, detail)
       SELECT nextval('auth_audit.audit_event_id_seq'), occurred_at, type, user_id, COALESCE((to_jsonb(p) -> 'detail'), '{}'::jsonb)
         FROM (SELECT * FROM past_events ORDER BY occurred_at) p`,
    );
    await client.query('COMMIT');
    return rowCount ?? 0;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    await client.end();
  }
}
