import type { QueryRunner } from 'typeorm';
import { QueryResult } from 'typeorm';
import { parseStatements } from './sql-parser';

export interface CapturedStatement {
  readonly sql: string;
  readonly parameters: readonly unknown[];
  /** A read (SELECT, SHOW, a schema lookup): it returned nothing here, so what follows may differ from a real run. */
  readonly read: boolean;
}

/**
 * Turns a QueryRunner into a recorder: every query a migration sends is captured instead of
 * executed and answered with an empty result. Nothing reaches the database, which is what makes
 * `--sql` safe; the price is that a migration that reads (data, or the schema through
 * queryRunner.getTable and friends) sees empty answers, so its preview is flagged as inexact.
 */
export function captureQueries(runner: QueryRunner): { runner: QueryRunner; statements: CapturedStatement[] } {
  const statements: CapturedStatement[] = [];
  const capture = async (sql: string, parameters?: unknown[], useStructuredResult?: boolean) => {
    statements.push({ sql, parameters: parameters ?? [], read: isRead(sql) });
    return useStructuredResult ? new QueryResult() : [];
  };
  Object.assign(runner, {
    query: capture,
    // The capturing runner never holds a transaction: the preview prints BEGIN/COMMIT itself.
    startTransaction: async () => undefined,
    commitTransaction: async () => undefined,
    rollbackTransaction: async () => undefined,
    connect: async () => undefined,
  });
  return { runner, statements };
}

function isRead(sql: string): boolean {
  const stmts = parseStatements(sql);
  // Unparseable SQL is shown as is; the server would reject it anyway.
  if (!stmts) return false;
  return stmts.some((s) => {
    const kind = Object.keys(s)[0];
    if (kind === 'SelectStmt') return !(s.SelectStmt as { intoClause?: unknown }).intoClause;
    return kind === 'VariableShowStmt' || kind === 'ExplainStmt';
  });
}

/** Renders a statement with its parameters inlined, for a script a human or psql can read. */
export function renderStatement(s: { sql: string; parameters: readonly unknown[] }): string {
  const sql = s.sql.trim().replace(/;\s*$/, '');
  if (!s.parameters.length) return `${sql};`;
  return `${sql.replace(/\$(\d+)/g, (_, i: string) => literal(s.parameters[Number(i) - 1]))};`;
}

function literal(v: unknown): string {
  if (v === null || v === undefined) return 'NULL';
  if (typeof v === 'number' || typeof v === 'bigint') return String(v);
  if (typeof v === 'boolean') return v ? 'TRUE' : 'FALSE';
  if (v instanceof Date) return `'${v.toISOString()}'`;
  const text = typeof v === 'string' ? v : JSON.stringify(v);
  return `'${text.replace(/'/g, "''")}'`;
}
