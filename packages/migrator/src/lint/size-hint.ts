import type { Queryable } from '../history';
import { qrel, type Node } from './parse-tree';
import type { RawFinding, StatementContext } from './statement-context';

// The database's own idea of how big each table is, for advice that depends on it (lint and rehearse).

export interface TableSize {
  /** The planner's estimate (pg_class.reltuples), null when the table was never analyzed. */
  readonly rows: number | null;
  /** Table, indexes and TOAST (pg_total_relation_size). */
  readonly bytes: number;
}

/** Tables by `schema.table`, and by bare name where that is unambiguous. */
export type TableSizes = ReadonlyMap<string, TableSize>;

/** From this size on, the lint recommends batches and CONCURRENTLY outside a transaction. */
export interface LargeTable {
  readonly rows: number;
  readonly bytes: number;
}

export const DEFAULT_LARGE_TABLE: LargeTable = { rows: 1_000_000, bytes: 1024 ** 3 };

/** Reads every user table's estimated size: catalog statistics only, nothing is scanned. */
export async function readTableSizes(db: Queryable): Promise<TableSizes> {
  const rows: { schema: string; table: string; rows: string | null; bytes: string }[] = await db.query(
    `SELECT n.nspname AS schema, c.relname AS "table", CASE WHEN c.reltuples < 0 THEN NULL ELSE c.reltuples::bigint::text END AS rows,
            pg_total_relation_size(c.oid)::text AS bytes
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%'`,
  );
  const sizes = new Map<string, TableSize>();
  const bare = new Map<string, TableSize[]>();
  for (const r of rows) {
    const size = { rows: r.rows === null ? null : Number(r.rows), bytes: Number(r.bytes) };
    sizes.set(`${r.schema}.${r.table}`.toLowerCase(), size);
    bare.set(r.table.toLowerCase(), [...(bare.get(r.table.toLowerCase()) ?? []), size]);
  }
  for (const [table, found] of bare) if (found.length === 1 || sizes.has(`public.${table}`)) sizes.set(table, sizes.get(`public.${table}`) ?? found[0]!);
  return sizes;
}

export function isLarge(size: TableSize, threshold: LargeTable): boolean {
  return (size.rows !== null && size.rows >= threshold.rows) || size.bytes >= threshold.bytes;
}

export function describeSize(table: string, size: TableSize): string {
  const rows = size.rows === null ? 'an unknown number of rows (never analyzed)' : `about ${size.rows.toLocaleString('en-US')} rows`;
  return `${table} holds ${rows}, ${(size.bytes / 1024 ** 2).toFixed(size.bytes < 10 * 1024 ** 2 ? 1 : 0)} MB with indexes (the database's estimate)`;
}

/** The work that holds locks on every row (or the whole table) for as long as it runs. */
const HEAVY_ALTERS = new Set(['AT_AlterColumnType', 'AT_SetNotNull', 'AT_AddConstraint', 'AT_AddColumn']);

/**
 * large-table-in-transaction: a statement that touches every row of a table the database says is
 * large (an UPDATE or DELETE, an index build, a rewrite or a validating scan), run inside the
 * migration's transaction, which keeps its locks until the end.
 */
export function largeTableFindings(stmt: Node, ctx: StatementContext, sizes: TableSizes | undefined, threshold: LargeTable): RawFinding[] {
  if (!sizes || !ctx.inTransaction) return [];
  const [kind] = Object.keys(stmt);
  const node = stmt[kind!] as Node;
  let relation: unknown;
  let what: string;
  if (kind === 'UpdateStmt' || kind === 'DeleteStmt') {
    relation = node.relation;
    what = kind === 'UpdateStmt' ? 'an UPDATE' : 'a DELETE';
  } else if (kind === 'IndexStmt' && !node.concurrent) {
    relation = node.relation;
    what = 'an index build';
  } else if (kind === 'AlterTableStmt') {
    const heavy = ((node.cmds as Node[]) ?? []).map((c) => (c.AlterTableCmd as Node).subtype).find((s) => HEAVY_ALTERS.has(String(s)));
    if (!heavy) return [];
    relation = node.relation;
    what = 'an ALTER TABLE that scans or rewrites it';
  } else return [];
  const table = qrel(relation);
  if (ctx.newTables.has(table.split('.').pop()!)) return [];
  const size = sizes.get(table);
  if (!size || !isLarge(size, threshold)) return [];
  return [{ rule: 'large-table-in-transaction', detail: `${describeSize(table, size)}: ${what} in the migration's transaction holds its locks until the migration ends`, objects: [table] }];
}
