import { pipeline } from 'node:stream/promises';
import type { PoolClient } from 'pg';
import { from as copyFrom, to as copyTo } from 'pg-copy-streams';
import type { DataSource, QueryRunner } from 'typeorm';
import { quoteIdent } from './history';
import { parseStatements } from './sql-parser';

/**
 * The data half of `rehearse --with-data`: copy a consistent snapshot of the real database into
 * the scratch one, count what each step destroys, and explain a step that fails on the data.
 */

type Node = Record<string, unknown>;
const q = quoteIdent;
const qualified = (schema: string, table: string) => `${q(schema)}.${q(table)}`;

/** The pg client under a connected TypeORM QueryRunner (COPY needs the driver's own streams). */
function clientOf(runner: QueryRunner): PoolClient {
  return (runner as unknown as { databaseConnection: PoolClient }).databaseConnection;
}

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
export async function destroyedBy(runner: QueryRunner, before: Census, after: Census, watches: readonly TypeChangeWatch[]): Promise<DestroyedValues> {
  const tables: Record<string, number> = {};
  const columns: Record<string, number> = {};
  const changed: Record<string, number> = {};
  for (const [table, rows] of before.tables) if (!after.tables.has(table) && rows > 0) tables[table] = rows;
  for (const [column, { nonNull }] of before.columns) {
    const table = column.split('.').slice(0, 2).join('.');
    if (!after.columns.has(column) && after.tables.has(table) && nonNull > 0) columns[column] = nonNull;
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
  const total = [tables, columns, changed].flatMap((o) => Object.values(o)).reduce((a, b) => a + b, 0);
  return { tables, columns, changed, total };
}

/** A relation a step held in ACCESS EXCLUSIVE mode, and for how long (from the statement that took it to commit). */
export interface ExclusiveLock {
  readonly relation: string;
  readonly heldMs: number;
  /** The statement that took it. */
  readonly statement: string;
}

/**
 * Records ACCESS EXCLUSIVE locks as a migration takes them: after each statement, the relations
 * the session now holds in that mode (pg_locks of its own backend). In a transaction they are
 * held until commit, so the duration runs from the statement that took the lock to the end.
 */
export function lockRecorder(): {
  afterStatement: (runner: QueryRunner, sql: string, startedMs: number) => Promise<void>;
  finish: () => ExclusiveLock[];
} {
  const taken = new Map<string, { at: number; statement: string }>();
  return {
    afterStatement: async (runner, sql, startedMs) => {
      const rows: { relation: string }[] = await clientOf(runner)
        .query(
          `SELECT coalesce(n.nspname || '.' || c.relname, l.relation::text) AS relation
             FROM pg_locks l LEFT JOIN pg_class c ON c.oid = l.relation LEFT JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE l.pid = pg_backend_pid() AND l.locktype = 'relation' AND l.mode = 'AccessExclusiveLock' AND l.granted
              AND (c.relkind IS NULL OR c.relkind IN ('r', 'p', 'm'))`,
        )
        .then((r) => r.rows as { relation: string }[]);
      for (const r of rows) if (!taken.has(r.relation)) taken.set(r.relation, { at: startedMs, statement: sql.trim() });
    },
    finish: () => {
      const end = performance.now();
      return [...taken].map(([relation, t]) => ({ relation, heldMs: end - t.at, statement: t.statement }));
    },
  };
}

/** Why a step failed on the data, with the offending rows counted, when the error says which. */
export interface DataFailure {
  readonly kind: 'not_null' | 'unique' | 'cast' | 'check' | 'other';
  readonly table: string | null;
  readonly column: string | null;
  /** Rows that make the statement fail (null when it cannot be counted). */
  readonly offendingRows: number | null;
}

/** Counts the rows behind a failure (on the scratch database, after the failed step rolled back). */
export async function explainFailure(runner: QueryRunner, err: unknown, statement: string | null): Promise<DataFailure | undefined> {
  const e = (err as { cause?: unknown; driverError?: unknown })?.cause ?? err;
  const d = ((e as { driverError?: unknown }).driverError ?? e) as { code?: string; table?: string; column?: string; schema?: string; detail?: string; message?: string };
  const table = d.table ? (d.schema ? qualified(d.schema, d.table) : q(d.table)) : null;
  const count = async (sql: string) => Number((await runner.query(sql))[0].n);
  try {
    if (d.code === '23502' && table && d.column) {
      return { kind: 'not_null', table: d.table!, column: d.column, offendingRows: await count(`SELECT count(*) AS n FROM ${table} WHERE ${q(d.column)} IS NULL`) };
    }
    if (d.code === '23505' && table) {
      const cols = /^Key \((.+?)\)=/.exec(d.detail ?? '')?.[1];
      if (cols) {
        return {
          kind: 'unique',
          table: d.table!,
          column: cols,
          offendingRows: await count(`SELECT coalesce(sum(k), 0) AS n FROM (SELECT count(*) AS k FROM ${table} GROUP BY ${cols} HAVING count(*) > 1) dup`),
        };
      }
    }
    if (d.code === '22P02' || d.code === '22003' || d.code === '22001') {
      for (const t of typeChangesIn(statement ? [statement] : [])) {
        const type = /TYPE\s+(.+?)(\s+USING\s|;|$)/i.exec(statement ?? '')?.[1]?.trim();
        if (!type) continue;
        const name = t.schema ? qualified(t.schema, t.table) : q(t.table);
        return {
          kind: 'cast',
          table: t.table,
          column: t.column,
          offendingRows: await count(`SELECT count(*) AS n FROM ${name} WHERE ${q(t.column)} IS NOT NULL AND NOT pg_input_is_valid(${q(t.column)}::text, ${literal(type)})`),
        };
      }
    }
    if (d.code === '23514') return { kind: 'check', table: d.table ?? null, column: null, offendingRows: null };
  } catch {
    return undefined;
  }
  return undefined;
}

const literal = (s: string) => `'${s.replace(/'/g, "''")}'`;
