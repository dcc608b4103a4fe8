/**
 * PostgreSQL's own parser (libpg-query, the server's grammar compiled to WASM): lint and the SQL
 * preview understand statements as the server would, never through regular expressions.
 */
interface PgQuery {
  loadModule(): Promise<void>;
  parseSync(sql: string): { stmts?: { stmt: Record<string, unknown> }[] };
}
// Required on first use: commands that never parse SQL (status, up) do not pay for the WASM module.
let pg: PgQuery;

let loaded: Promise<void> | undefined;
let ready = false;

/** Loads the WASM module once; every command that parses SQL awaits this first. */
export async function loadSqlParser(): Promise<void> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  pg ??= require('libpg-query') as PgQuery;
  await (loaded ??= pg.loadModule().then(() => {
    ready = true;
  }));
}

export type ParsedStatement = Record<string, unknown>;

/** Parses SQL into statements; null when it is not valid PostgreSQL (or the parser is not loaded). */
export function parseStatements(sql: string): ParsedStatement[] | null {
  if (!ready) return null;
  try {
    return (pg.parseSync(sql).stmts ?? []).map((s) => s.stmt);
  } catch {
    return null;
  }
}

/** Like parseStatements, but throws the parser's message. */
export function parseOrThrow(sql: string): ParsedStatement[] {
  if (!ready) throw new Error('loadSqlParser() must be awaited first');
  return (pg.parseSync(sql).stmts ?? []).map((s) => s.stmt);
}
