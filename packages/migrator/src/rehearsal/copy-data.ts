import { pipeline } from 'node:stream/promises';
import { from as copyFrom, to as copyTo } from 'pg-copy-streams';
import type { DataSource, QueryRunner } from 'typeorm';
import { clientOf, q, qualified } from './pg';

export interface CopiedTable {
  readonly table: string;
  /** Rows in the real table. */
  readonly rows: number;
  /** Rows copied: fewer than `rows` when --max-rows-per-table sampled it. */
  readonly copied: number;
  readonly sampled: boolean;
}

interface TableInfo {
  readonly schema: string;
  readonly table: string;
  /** Columns COPY can write (generated columns are computed by the scratch database). */
  readonly columns: readonly string[];
}

/** User tables of a database, without the migration history (the scratch database has its own). */
async function userTables(runner: QueryRunner, exclude: readonly string[]): Promise<TableInfo[]> {
  const rows: { schema: string; table: string; columns: string[] }[] = await runner.query(
    `SELECT n.nspname AS schema, c.relname AS "table",
            array_agg(a.attname::text ORDER BY a.attnum) FILTER (WHERE a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = '') AS columns
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace JOIN pg_attribute a ON a.attrelid = c.oid
      WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition
        AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%'
      GROUP BY n.nspname, c.relname ORDER BY 1, 2`,
  );
  return rows.filter((r) => !exclude.includes(`${r.schema}.${r.table}`) && !exclude.includes(r.table)).map((r) => ({ ...r, columns: r.columns ?? [] }));
}

/**
 * Copies every user table's rows from `real` into `scratch` (same schema, made by replaying the
 * history) with COPY streams, inside one REPEATABLE READ READ ONLY transaction on the real
 * database: a consistent snapshot, and the real database is only read. Foreign keys and triggers
 * are not fired while loading (session_replication_role = replica), so tables load in any order
 * and a sample keeps rows whose parents were not sampled.
 */
export async function copyData(
  real: DataSource,
  scratch: DataSource,
  opts: { maxRowsPerTable?: number; exclude: readonly string[] },
): Promise<CopiedTable[]> {
  const from = real.createQueryRunner();
  const into = scratch.createQueryRunner();
  const copied: CopiedTable[] = [];
  try {
    await from.connect();
    await into.connect();
    await from.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    await into.query('BEGIN');
    await into.query(`SET LOCAL session_replication_role = replica`);
    // Only what both sides have: a table or column made by hand on the real database (drift) is
    // not in the replayed schema, and is reported by check, not copied.
    const targets = new Map((await userTables(into, opts.exclude)).map((t) => [`${t.schema}.${t.table}`, new Set(t.columns)]));
    const tables = (await userTables(from, opts.exclude))
      .filter((t) => targets.has(`${t.schema}.${t.table}`))
      .map((t) => ({ ...t, columns: t.columns.filter((c) => targets.get(`${t.schema}.${t.table}`)!.has(c)) }));
    // Rows the replayed migrations wrote (seed data) make way for the real ones.
    if (tables.length) await into.query(`TRUNCATE ${tables.map((t) => qualified(t.schema, t.table)).join(', ')}`);
    for (const t of tables) {
      const name = qualified(t.schema, t.table);
      const [{ n }] = await from.query(`SELECT count(*)::bigint AS n FROM ${name}`);
      const rows = Number(n);
      const limit = opts.maxRowsPerTable !== undefined && rows > opts.maxRowsPerTable ? opts.maxRowsPerTable : undefined;
      const cols = t.columns.map(q).join(', ');
      if (t.columns.length && rows > 0) {
        const source = clientOf(from).query(copyTo(`COPY (SELECT ${cols} FROM ${name}${limit !== undefined ? ` LIMIT ${limit}` : ''}) TO STDOUT`));
        const sink = clientOf(into).query(copyFrom(`COPY ${name} (${cols}) FROM STDIN`));
        await pipeline(source, sink);
      }
      copied.push({ table: `${t.schema}.${t.table}`, rows, copied: limit ?? rows, sampled: limit !== undefined });
    }
    // Sequences continue where the real ones are, so inserts by a migration do not collide.
    const sequences: { schema: string; name: string; last: string | null }[] = await from.query(
      `SELECT schemaname AS schema, sequencename AS name, last_value::text AS last FROM pg_sequences
        WHERE schemaname NOT IN ('pg_catalog', 'information_schema')`,
    );
    for (const s of sequences) {
      if (s.last !== null) await into.query(`SELECT setval($1, $2::bigint)`, [qualified(s.schema, s.name), s.last]).catch(() => undefined);
    }
    await into.query('COMMIT');
    await from.query('COMMIT');
    return copied;
  } finally {
    if (into.isTransactionActive) await into.query('ROLLBACK').catch(() => undefined);
    await from.query('ROLLBACK').catch(() => undefined);
    await from.release();
    await into.release();
  }
}
