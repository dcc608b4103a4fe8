import { nameList, typeOf, type Node } from './parse-tree';
import type { RawFinding } from './statement-context';

// Checks of one column definition: defaults that rewrite the table, and types the style rules prefer others to.

// Functions PostgreSQL evaluates once for ADD COLUMN ... DEFAULT (no rewrite): the stable
// transaction-time ones and common immutable ones. Any other call counts as volatile.
const ONCE_EVALUATED = new Set([
  'now', 'transaction_timestamp', 'statement_timestamp', 'current_timestamp', 'current_date', 'localtimestamp',
  'lower', 'upper', 'btrim', 'trim', 'concat', 'coalesce', 'make_interval', 'to_jsonb', 'jsonb_build_object', 'json_build_object',
  'jsonb_build_array', 'array_fill', 'make_date', 'make_timestamptz', 'date_trunc', 'md5', 'length', 'abs', 'round',
]);

/** A default that makes ADD COLUMN rewrite the table: anything but constants and once-evaluated expressions of them. */
export function isVolatileDefault(expr: unknown): boolean {
  const e = expr as Node;
  if (!e) return false;
  if ('A_Const' in e || 'SQLValueFunction' in e) return false;
  if ('TypeCast' in e) return isVolatileDefault((e.TypeCast as Node).arg);
  if ('A_Expr' in e) return isVolatileDefault((e.A_Expr as Node).lexpr) || isVolatileDefault((e.A_Expr as Node).rexpr);
  if ('A_ArrayExpr' in e) return ((e.A_ArrayExpr as Node).elements as unknown[] | undefined ?? []).some(isVolatileDefault);
  if ('FuncCall' in e) {
    const f = e.FuncCall as Node;
    return !ONCE_EVALUATED.has(nameList(f.funcname).split('.').pop()!.toLowerCase()) || ((f.args as unknown[] | undefined) ?? []).some(isVolatileDefault);
  }
  return true;
}

export const SERIAL = new Set(['serial', 'serial4', 'bigserial', 'serial8', 'smallserial', 'serial2']);
const INT32 = new Set(['int4', 'integer', 'int', 'serial', 'serial4']);

/** The style findings of one column definition (CREATE TABLE or ADD COLUMN). */
export function columnTypeFindings(table: string, def: Node): RawFinding[] {
  const out: RawFinding[] = [];
  const type = typeOf(def);
  const col = `${table}.${String(def.colname)}`;
  if (SERIAL.has(type)) out.push({ rule: 'prefer-identity', detail: `${col} is ${type}` });
  if (INT32.has(type)) out.push({ rule: 'prefer-bigint-over-int', detail: `${col} is ${type === 'int4' ? 'integer' : type}` });
  if (type === 'timestamp') out.push({ rule: 'prefer-timestamptz', detail: `${col} is timestamp without time zone` });
  if (type === 'varchar' && ((def.typeName as Node).typmods as unknown[] | undefined)?.length) out.push({ rule: 'prefer-text-field', detail: `${col} is varchar with a length` });
  if (type === 'bpchar' || type === 'char') out.push({ rule: 'ban-char-field', detail: `${col} is char(n)` });
  return out;
}

