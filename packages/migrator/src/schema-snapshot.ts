import type { QueryRunner } from 'typeorm';

/** Schemas of the server itself, never part of an application's schema. */
const SYSTEM_SCHEMAS = `n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%'`;

/**
 * A textual fingerprint of every application schema (the schemas themselves, columns,
 * constraints, indexes, enums), excluding the history tables (`ignore`: qualified
 * `schema.table` names): two equal snapshots mean down() undid up() exactly.
 */
export async function schemaSnapshot(runner: QueryRunner, ignore: readonly string[]): Promise<string[]> {
  const rows: { line: string }[] = await runner.query(
    `SELECT 'schema ' || n.nspname AS line FROM pg_namespace n WHERE ${SYSTEM_SCHEMAS}
     UNION ALL
     SELECT 'column ' || n.nspname || '.' || c.relname || '.' || a.attname || ' ' || format_type(a.atttypid, a.atttypmod)
              || CASE WHEN a.attnotnull THEN ' not null' ELSE '' END
              || COALESCE(' default ' || pg_get_expr(d.adbin, d.adrelid), '') AS line
       FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
       LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
      WHERE ${SYSTEM_SCHEMAS} AND c.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT a.attisdropped AND NOT (n.nspname || '.' || c.relname = ANY($1))
     UNION ALL
     SELECT 'constraint ' || n.nspname || '.' || c.relname || '.' || k.conname || ' ' || pg_get_constraintdef(k.oid)
       FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE ${SYSTEM_SCHEMAS} AND NOT (n.nspname || '.' || c.relname = ANY($1))
     UNION ALL
     SELECT 'index ' || indexdef FROM pg_indexes
      WHERE schemaname NOT IN ('pg_catalog', 'information_schema') AND schemaname NOT LIKE 'pg\\_%' AND NOT (schemaname || '.' || tablename = ANY($1))
     UNION ALL
     SELECT 'enum ' || n.nspname || '.' || t.typname || ' ' || string_agg(e.enumlabel, ',' ORDER BY e.enumsortorder)
       FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid JOIN pg_namespace n ON n.oid = t.typnamespace
      WHERE ${SYSTEM_SCHEMAS} GROUP BY n.nspname, t.typname
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
