import type { QueryRunner } from 'typeorm';
import { parseStatements } from '../sql-parser';
import { q, qualified } from './pg';

// What a rehearsal step destroys: rows of dropped tables, values of dropped columns, values a type change altered.

type Node = Record<string, unknown>;

/** Rows per table and non-null values per column: what a step can destroy. */
export interface Census {
  readonly tables: ReadonlyMap<string, number>;
  /** `schema.table.column` → [non-null values, type]. */
  readonly columns: ReadonlyMap<string, { nonNull: number; type: string }>;
}

export async function takeCensus(runner: QueryRunner, exclude: readonly string[]): Promise<Census> {
  const tables = new Map<string, number>();
  const columns = new Map<string, { nonNull: number; type: string }>();
  const types: { schema: string; table: string; column: string; type: string }[] = await runner.query(
    `SELECT n.nspname AS schema, c.relname AS "table", a.attname AS "column", format_type(a.atttypid, a.atttypmod) AS type
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace JOIN pg_attribute a ON a.attrelid = c.oid
      WHERE c.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT a.attisdropped
        AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%'
      ORDER BY 1, 2, a.attnum`,
  );
  const byTable = new Map<string, { schema: string; table: string; cols: { column: string; type: string }[] }>();
  for (const t of types) {
    if (exclude.includes(`${t.schema}.${t.table}`) || exclude.includes(t.table)) continue;
    const key = `${t.schema}.${t.table}`;
    const entry = byTable.get(key) ?? { schema: t.schema, table: t.table, cols: [] };
    entry.cols.push({ column: t.column, type: t.type });
    byTable.set(key, entry);
  }
  for (const [key, t] of byTable) {
    const counts = t.cols.map((c, i) => `count(${q(c.column)})::bigint AS c${i}`).join(', ');
    const [row] = await runner.query(`SELECT count(*)::bigint AS n${counts ? `, ${counts}` : ''} FROM ${qualified(t.schema, t.table)}`);
    tables.set(key, Number(row.n));
    t.cols.forEach((c, i) => columns.set(`${key}.${c.column}`, { nonNull: Number(row[`c${i}`]), type: c.type }));
  }
  return { tables, columns };
}

export interface DestroyedValues {
  /** Dropped tables and the rows they held. */
  readonly tables: Readonly<Record<string, number>>;
  /** Dropped columns and the non-null values they held. */
  readonly columns: Readonly<Record<string, number>>;
  /** Columns whose type changed, and the values the change altered (not given back by casting back). */
  readonly changed: Readonly<Record<string, number>>;
  /**
   * Columns still there whose non-null values became NULL: an UPDATE ... SET col = NULL, or a
   * column dropped and added back under the same name (TypeORM's way to change a type).
   */
  readonly nulled: Readonly<Record<string, number>>;
  /** Tables still there that lost rows (a DELETE), and how many. */
  readonly rows: Readonly<Record<string, number>>;
  /**
   * For `down`: values the migration's `up` overwrote in place (an UPDATE) that `down` did not
   * give back, by column.
   */
  readonly notRestored: Readonly<Record<string, number>>;
  /** All of the above, summed. */
  readonly total: number;
}

/** A column whose type a step changes, and its values before, by row key. */
export interface TypeChangeWatch {
  readonly column: string;
  readonly schema: string;
  readonly table: string;
  readonly name: string;
  readonly oldType: string;
  readonly key: readonly string[];
  readonly before: ReadonlyMap<string, string | null>;
}

/** The `ALTER COLUMN ... TYPE` targets among statements (schema-less names resolve through the census). */
export function typeChangesIn(statements: readonly string[]): { schema: string | null; table: string; column: string }[] {
  const out: { schema: string | null; table: string; column: string }[] = [];
  for (const sql of statements) {
    for (const stmt of parseStatements(sql) ?? []) {
      const alter = stmt.AlterTableStmt as Node | undefined;
      if (!alter) continue;
      const rel = alter.relation as { schemaname?: string; relname?: string };
      for (const c of (alter.cmds as Node[]) ?? []) {
        const cmd = c.AlterTableCmd as Node;
        if (cmd.subtype === 'AT_AlterColumnType') out.push({ schema: rel.schemaname ?? null, table: String(rel.relname), column: String(cmd.name) });
      }
    }
  }
  return out;
}

/**
 * Before a step that changes column types, remembers those columns' values by primary key (a
 * table without one is skipped: its rows cannot be matched after a rewrite).
 */
export async function watchTypeChanges(
  runner: QueryRunner,
  targets: readonly { schema: string | null; table: string; column: string }[],
  census: Census,
): Promise<TypeChangeWatch[]> {
  const watches: TypeChangeWatch[] = [];
  for (const t of targets) {
    const key = [...census.columns.keys()].find((k) => k.endsWith(`.${t.table}.${t.column}`) && (!t.schema || k.startsWith(`${t.schema}.`)));
    if (!key) continue;
    const [schema, table] = key.split('.') as [string, string];
    const pk: { column: string }[] = await runner.query(
      `SELECT a.attname AS column FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)
        WHERE i.indrelid = $1::regclass AND i.indisprimary ORDER BY array_position(i.indkey::int2[], a.attnum)`,
      [qualified(schema, table)],
    );
    if (!pk.length) continue;
    const keyExpr = pk.map((p) => `${q(p.column)}::text`).join(` || ',' || `);
    const rows: { k: string; v: string | null }[] = await runner.query(`SELECT ${keyExpr} AS k, ${q(t.column)}::text AS v FROM ${qualified(schema, table)}`);
    watches.push({
      column: key,
      schema,
      table,
      name: t.column,
      oldType: census.columns.get(key)!.type,
      key: pk.map((p) => p.column),
      before: new Map(rows.map((r) => [r.k, r.v])),
    });
  }
  return watches;
}

/** What a step destroyed: compare the census before and after, and the watched type changes. */
export async function destroyedBy(
  runner: QueryRunner,
  before: Census,
  after: Census,
  watches: readonly TypeChangeWatch[],
  notRestored: Readonly<Record<string, number>> = {},
): Promise<DestroyedValues> {
  const tables: Record<string, number> = {};
  const columns: Record<string, number> = {};
  const changed: Record<string, number> = {};
  const nulled: Record<string, number> = {};
  const rows: Record<string, number> = {};
  for (const [table, n] of before.tables) {
    if (!after.tables.has(table) && n > 0) tables[table] = n;
    else if (after.tables.has(table) && after.tables.get(table)! < n) rows[table] = n - after.tables.get(table)!;
  }
  for (const [column, { nonNull }] of before.columns) {
    const table = column.split('.').slice(0, 2).join('.');
    const now = after.columns.get(column);
    if (!now && after.tables.has(table) && nonNull > 0) columns[column] = nonNull;
    // Rows a DELETE removed took their values with them: only the surviving rows' NULLs count here.
    const lost = now ? nonNull - now.nonNull - (rows[table] ?? 0) : 0;
    if (lost > 0) nulled[column] = lost;
  }
  for (const w of watches) {
    const now = after.columns.get(w.column);
    if (!now || now.type === w.oldType) continue;
    // A value survives when casting it back gives what it was (timestamp -> timestamptz -> timestamp does).
    const keyExpr = w.key.map((k) => `${q(k)}::text`).join(` || ',' || `);
    const rows: { k: string; v: string | null }[] = await runner.query(
      `SELECT ${keyExpr} AS k, (${q(w.name)}::${w.oldType})::text AS v FROM ${qualified(w.schema, w.table)}`,
    );
    let n = 0;
    for (const r of rows) if (w.before.has(r.k) && w.before.get(r.k) !== r.v) n++;
    if (n) changed[w.column] = n;
  }
  const total = [tables, columns, changed, nulled, rows, notRestored].flatMap((o) => Object.values(o)).reduce((a, b) => a + b, 0);
  return { tables, columns, changed, nulled, rows, notRestored: { ...notRestored }, total };
}
