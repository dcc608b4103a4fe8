import type { QueryRunner } from 'typeorm';

/**
 * A textual fingerprint of the public schema (columns, constraints, indexes, enums), excluding
 * the history tables: two equal snapshots mean down() undid up() exactly.
 */
export async function schemaSnapshot(runner: QueryRunner, ignore: readonly string[]): Promise<string[]> {
  const rows: { line: string }[] = await runner.query(
    `SELECT 'column ' || c.relname || '.' || a.attname || ' ' || format_type(a.atttypid, a.atttypmod)
              || CASE WHEN a.attnotnull THEN ' not null' ELSE '' END
              || COALESCE(' default ' || pg_get_expr(d.adbin, d.adrelid), '') AS line
       FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
       LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
      WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT a.attisdropped AND NOT (c.relname = ANY($1))
     UNION ALL
     SELECT 'constraint ' || c.relname || '.' || k.conname || ' ' || pg_get_constraintdef(k.oid)
       FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = 'public' AND NOT (c.relname = ANY($1))
     UNION ALL
     SELECT 'index ' || indexdef FROM pg_indexes WHERE schemaname = 'public' AND NOT (tablename = ANY($1))
     UNION ALL
     SELECT 'enum ' || t.typname || ' ' || string_agg(e.enumlabel, ',' ORDER BY e.enumsortorder)
       FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid JOIN pg_namespace n ON n.oid = t.typnamespace
      WHERE n.nspname = 'public' GROUP BY t.typname
     ORDER BY 1`,
    [ignore],
  );
  return rows.map((r) => r.line);
}

/** Lines in one snapshot and not the other, prefixed - (lost) and + (gained). */
export function snapshotDifference(before: readonly string[], after: readonly string[]): string[] {
  const a = new Set(before);
  const b = new Set(after);
  return [...before.filter((l) => !b.has(l)).map((l) => `- ${l}`), ...after.filter((l) => !a.has(l)).map((l) => `+ ${l}`)];
}
