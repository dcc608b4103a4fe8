import type { DiffQuery } from './diff-query';

/** `ALTER TABLE <table> ALTER COLUMN "<column>" TYPE <type>_old USING ...`: TypeORM putting an enum column back on its old type. */
const TO_OLD_ENUM = /^ALTER TABLE ((?:"[^"]+"\.)?"[^"]+") ALTER COLUMN "([^"]+)" TYPE ("[^"]+"\.)?"[^"]+_old"(\[\])? USING /;

export interface ColumnDefaults {
  /** The column's default as the database has it now (pg_get_expr), or null. */
  (table: string, column: string): Promise<string | null>;
}

/**
 * TypeORM 1.1.1 (PostgresQueryRunner.changeColumn) adds enum values with `ALTER TYPE ... ADD
 * VALUE`, and writes the `down` as a re-creation of the old type without dropping the column's
 * default first, so the down fails on any enum column with a default ("default for column
 * "status" cannot be cast automatically to type ..._old"); its other enum path does drop and
 * restore it. Found by test (a value added to catalog.cat_status, whose default is 'draft'): the
 * down of every such migration now drops the default before the type change and sets the
 * database's current one (the state the down returns to) after it.
 */
export async function restoreEnumDefaultsInDown(down: readonly DiffQuery[], defaults: ColumnDefaults): Promise<DiffQuery[]> {
  const out: DiffQuery[] = [];
  for (const [i, q] of down.entries()) {
    const m = TO_OLD_ENUM.exec(q.query);
    if (!m) {
      out.push(q);
      continue;
    }
    const [, table, column] = m as unknown as [string, string, string];
    const drop = `ALTER TABLE ${table} ALTER COLUMN "${column}" DROP DEFAULT`;
    const current = await defaults(table, column);
    if (current === null || down.slice(0, i).some((p) => p.query === drop)) {
      out.push(q);
      continue;
    }
    // 'draft'::catalog.cat_status names the type by oid when it is read back: keep the literal only.
    const literal = /^('(?:[^']|'')*')::/.exec(current)?.[1] ?? current;
    out.push({ query: drop }, q, { query: `ALTER TABLE ${table} ALTER COLUMN "${column}" SET DEFAULT ${literal}` });
  }
  return out;
}
