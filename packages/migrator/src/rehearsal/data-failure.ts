import type { QueryRunner } from 'typeorm';
import { typeChangesIn } from './destroyed-values';
import { q, qualified } from './pg';

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
