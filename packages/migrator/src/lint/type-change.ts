import { parseStatements } from '../sql-parser';
import type { Node } from './parse-tree';

// Which column type changes rewrite nothing: PostgreSQL then only checks the catalog (a moment's lock).

/** A type as the parser gives it: its name without pg_catalog, and its modifiers (length, precision). */
export interface TypeName {
  readonly name: string;
  readonly mods: readonly number[];
  readonly array: boolean;
}

const ALIASES: Record<string, string> = {
  'character varying': 'varchar',
  'timestamp with time zone': 'timestamptz',
  'timestamp without time zone': 'timestamp',
};

/** Reads a parse-tree TypeName node. */
export function typeNameOf(node: unknown): TypeName | null {
  const t = node as Node | undefined;
  if (!t) return null;
  const names = ((t.names as Node[]) ?? []).map((n) => String((n.String as Node | undefined)?.sval ?? ''));
  const name = names.filter((n) => n !== 'pg_catalog').join('.').toLowerCase();
  const mods = ((t.typmods as Node[]) ?? []).map((m) => Number(((m.A_Const as Node | undefined)?.ival as Node | undefined)?.ival ?? NaN));
  return { name: ALIASES[name] ?? name, mods, array: ((t.arrayBounds as unknown[]) ?? []).length > 0 };
}

/** Parses a type as the catalog prints it (`format_type`: `character varying(100)`, `numeric(10,2)`). */
export function parseTypeName(sql: string): TypeName | null {
  const stmt = parseStatements(`SELECT NULL::${sql}`)?.[0] as Node | undefined;
  const target = ((((stmt?.SelectStmt as Node | undefined)?.targetList as Node[] | undefined)?.[0]?.ResTarget as Node | undefined)?.val as Node | undefined)?.TypeCast as Node | undefined;
  return typeNameOf(target?.typeName);
}

export const showType = (t: TypeName) => `${t.name}${t.mods.length ? `(${t.mods.join(',')})` : ''}${t.array ? '[]' : ''}`;

/**
 * Why changing `from` to `to` rewrites nothing, or null when it may. PostgreSQL skips the
 * rewrite (checked with pg_relation_filenode) for: a longer or unlimited varchar, varchar to
 * text and back to unlimited varchar, more numeric precision at the same scale, more timestamp
 * precision, a longer bit varying, cidr to inet.
 */
export function binaryCoercible(from: TypeName, to: TypeName): string | null {
  if (from.array !== to.array) return null;
  const wider = (a: readonly number[], b: readonly number[]) => b.length === 0 || (a.length > 0 && b[0]! >= a[0]!);
  const texty = new Set(['varchar', 'text']);
  if (texty.has(from.name) && texty.has(to.name)) {
    if (to.name === 'text' || (to.name === 'varchar' && (to.mods.length === 0 || (from.name === 'varchar' && wider(from.mods, to.mods))))) {
      return `${showType(from)} to ${showType(to)} only relaxes a length limit: PostgreSQL changes the catalog, rewrites nothing and checks no row`;
    }
    return null;
  }
  if (from.name === to.name && ['numeric', 'decimal'].includes(from.name)) {
    if (to.mods.length === 0 || (from.mods.length === 2 && to.mods.length === 2 && from.mods[1] === to.mods[1] && to.mods[0]! >= from.mods[0]!)) {
      return `${showType(from)} to ${showType(to)} keeps every value (more digits at the same scale): no rewrite`;
    }
    return null;
  }
  if (from.name === to.name && ['timestamp', 'timestamptz', 'varbit', 'bit varying'].includes(from.name) && wider(from.mods, to.mods)) {
    return `${showType(from)} to ${showType(to)} only widens the type: no rewrite`;
  }
  if (from.name === 'cidr' && to.name === 'inet') return 'cidr to inet is binary-coercible: no rewrite';
  return null;
}
