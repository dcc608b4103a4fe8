import type { QueryRunner } from 'typeorm';
import type { Census } from './destroyed-values';
import { q, qualified } from './pg';

// Row by row fingerprints of the data, to see values an UPDATE or DELETE changed and whether down() gave them back.

/** One table's rows: row key → a 32-bit hash of each column's value (null for NULL). */
export interface TablePrints {
  readonly columns: readonly string[];
  readonly rows: ReadonlyMap<string, readonly (number | null)[]>;
}

/** Every table with a primary key, fingerprinted. */
export interface RowPrints {
  readonly tables: ReadonlyMap<string, TablePrints>;
}

/**
 * Fingerprints every row of the tables with a primary key (tables without one cannot be matched
 * row by row; their row and non-null counts are still compared by the census).
 */
export async function takeRowPrints(runner: QueryRunner, census: Census): Promise<RowPrints> {
  const tables = new Map<string, { columns: string[]; rows: Map<string, (number | null)[]> }>();
  for (const [key, count] of census.tables) {
    if (count === 0) {
      tables.set(key, { columns: [], rows: new Map() });
      continue;
    }
    const [schema, table] = key.split('.') as [string, string];
    const pk: { column: string }[] = await runner.query(
      `SELECT a.attname AS column FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)
        WHERE i.indrelid = $1::regclass AND i.indisprimary ORDER BY array_position(i.indkey::int2[], a.attnum)`,
      [qualified(schema, table)],
    );
    if (!pk.length) continue;
    const columns = [...census.columns.keys()].filter((c) => c.startsWith(`${key}.`)).map((c) => c.slice(key.length + 1));
    const keyExpr = pk.map((p) => `${q(p.column)}::text`).join(` || ',' || `);
    const hashes = columns.map((c, i) => `hashtext(${q(c)}::text) AS h${i}`).join(', ');
    const result: Record<string, unknown>[] = await runner.query(`SELECT ${keyExpr} AS k${hashes ? `, ${hashes}` : ''} FROM ${qualified(schema, table)}`);
    const rows = new Map<string, (number | null)[]>();
    for (const r of result) rows.set(String(r.k), columns.map((_, i) => (r[`h${i}`] === null ? null : Number(r[`h${i}`]))));
    tables.set(key, { columns, rows });
  }
  return { tables };
}

/** For each table of both prints, the columns both have and where each sits in either. */
function sharedColumns(before: RowPrints, after: RowPrints, skip: ReadonlySet<string>): { table: string; b: TablePrints; a: TablePrints; cols: { column: string; i: number; j: number }[] }[] {
  return [...before.tables].flatMap(([table, b]) => {
    const a = after.tables.get(table);
    if (!a) return [];
    const cols = b.columns.map((column, i) => ({ column, i, j: a.columns.indexOf(column) })).filter((c) => c.j >= 0 && !skip.has(`${table}.${c.column}`));
    return [{ table, b, a, cols }];
  });
}

/**
 * Values a step changed in place: non-null before, another non-null value after (an UPDATE).
 * Values set to NULL, dropped or retyped are counted by the census and the type-change watch.
 * `skip` names columns whose type the step changed.
 */
export function overwrittenValues(before: RowPrints, after: RowPrints, skip: ReadonlySet<string> = new Set()): Record<string, number> {
  const out: Record<string, number> = {};
  for (const { table, b, a, cols } of sharedColumns(before, after, skip)) {
    for (const [key, bh] of b.rows) {
      const ah = a.rows.get(key);
      if (!ah) continue;
      for (const c of cols) if (bh[c.i] !== null && ah[c.j] !== null && bh[c.i] !== ah[c.j]) out[`${table}.${c.column}`] = (out[`${table}.${c.column}`] ?? 0) + 1;
    }
  }
  return out;
}

/**
 * Of the values `up` overwrote in place (beforeUp → afterUp), those that `down` did not give
 * back (afterDown still differs from beforeUp): lost for good if the migration is reverted.
 */
export function notRestored(beforeUp: RowPrints, afterUp: RowPrints, afterDown: RowPrints): Record<string, number> {
  const out: Record<string, number> = {};
  for (const { table, b, a, cols } of sharedColumns(beforeUp, afterUp, new Set())) {
    const d = afterDown.tables.get(table);
    if (!d) continue;
    const dcols = cols.map((c) => ({ ...c, k: d.columns.indexOf(c.column) }));
    for (const [key, bh] of b.rows) {
      const ah = a.rows.get(key);
      if (!ah) continue;
      const dh = d.rows.get(key);
      for (const c of dcols) {
        const overwritten = bh[c.i] !== null && ah[c.j] !== null && bh[c.i] !== ah[c.j];
        if (overwritten && (!dh || c.k < 0 || dh[c.k] !== bh[c.i])) out[`${table}.${c.column}`] = (out[`${table}.${c.column}`] ?? 0) + 1;
      }
    }
  }
  return out;
}
