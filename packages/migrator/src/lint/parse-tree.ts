// Reading libpg-query's parse tree (PostgreSQL's own node names): the few accessors the rules share.

export type Node = Record<string, unknown>;
export const str = (n: unknown): string => ((n as { String?: { sval?: string } })?.String?.sval ?? '') as string;
export const nameList = (l: unknown): string => ((l as unknown[]) ?? []).map(str).join('.');
export const rel = (r: unknown): string => String((r as { relname?: string })?.relname ?? '').toLowerCase();
/** A relation with its schema when the statement names one (`auth.users`), lower-case: what acknowledgements name. */
export const qrel = (r: unknown): string => {
  const v = r as { schemaname?: string; relname?: string } | undefined;
  return [v?.schemaname, v?.relname].filter(Boolean).join('.').toLowerCase();
};

/** Type names as the parser gives them (pg_catalog.int4, serial...), without the schema. */
export const typeOf = (def: Node): string => nameList((def.typeName as Node)?.names).replace(/^pg_catalog\./, '').toLowerCase();

/** An option argument that says false (`VACUUM (FULL false)`, `off`, `0`). */
export function isFalse(arg: unknown): boolean {
  const a = arg as Node | undefined;
  const c = a?.A_Const as Node | undefined;
  const b = (c?.boolval as Node | undefined)?.boolval;
  const sval = ((c?.sval as Node | undefined)?.sval as string | undefined) ?? ((a?.String as Node | undefined)?.sval as string | undefined);
  return c !== undefined ? b === false || sval === 'false' || sval === 'off' || (c.ival as Node | undefined)?.ival === 0 : false;
}
