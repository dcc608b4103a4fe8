import { Client } from 'pg';

export interface TableSize {
  table: string;
  rows: number;
  table_mib: number;
  indexes_mib: number;
}

/**
 * Size of every table of the services' schemas (heap with TOAST, and indexes); a partitioned
 * table is the sum of its partitions. Row counts are the planner's estimates (exact after the
 * seeding's ANALYZE).
 */
export async function tableSizes(url: string): Promise<TableSize[]> {
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    const { rows } = await c.query(
      `WITH tables AS (
         SELECT c.oid, n.nspname || '.' || c.relname AS name
           FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition AND n.nspname IN ('auth', 'catalog', 'installation', 'proxy')
       ), leaves AS (
         -- A partitioned table is its partitions; a plain one, itself.
         SELECT t.name, p.relid FROM tables t JOIN LATERAL pg_partition_tree(t.oid) p ON p.isleaf
         UNION ALL
         SELECT t.name, t.oid FROM tables t WHERE NOT EXISTS (SELECT 1 FROM pg_partition_tree(t.oid))
       )
       SELECT l.name AS table, sum(GREATEST(c.reltuples, 0))::bigint AS rows, sum(pg_table_size(l.relid))::bigint AS table_bytes,
              sum(pg_indexes_size(l.relid))::bigint AS index_bytes
         FROM leaves l JOIN pg_class c ON c.oid = l.relid
        GROUP BY l.name ORDER BY 3 DESC`,
    );
    const mib = (b: string) => Math.round((Number(b) / 2 ** 20) * 10) / 10;
    return rows.map((r) => ({ table: r.table, rows: Number(r.rows), table_mib: mib(r.table_bytes), indexes_mib: mib(r.index_bytes) }));
  } finally {
    await c.end();
  }
}
