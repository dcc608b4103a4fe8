import { randomInt } from 'node:crypto';
import type { DataSource } from 'typeorm';

// Whether two connections reach the same database, whatever the route (TCP, a Unix socket, another host name).

/** The advisory lock class of this check ("rhrs"): distinct from the migration lock's "migr". */
const MARKER_CLASS = 0x72687273;

/**
 * True when `other` is connected to the very database `real` is. A route (host, port, socket)
 * cannot tell: the same database is reached through a Unix socket or another name, and a copy
 * (a Neon branch) has the same name, system identifier and database oid. So `real` takes an
 * advisory lock with a random key, held in the server's shared memory and nothing written, and
 * `other` looks for it in pg_locks under its own database's oid: only the same database on the
 * same server can see it there.
 */
export async function sameDatabase(real: DataSource, other: DataSource): Promise<boolean> {
  const runner = real.createQueryRunner();
  const key = randomInt(1, 2 ** 31 - 1);
  try {
    await runner.connect();
    const [{ locked }] = await runner.query(`SELECT pg_try_advisory_lock($1, $2) AS locked`, [MARKER_CLASS, key]);
    if (!locked) return false;
    try {
      const [{ seen }] = await other.query(
        `SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND classid = $1::int8::oid AND objid = $2::int8::oid AND objsubid = 2
                          AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
                          AND pid <> pg_backend_pid()) AS seen`,
        [MARKER_CLASS, key],
      );
      return seen === true;
    } finally {
      await runner.query(`SELECT pg_advisory_unlock($1, $2)`, [MARKER_CLASS, key]);
    }
  } finally {
    await runner.release();
  }
}
