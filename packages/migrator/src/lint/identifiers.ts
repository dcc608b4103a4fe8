// Names PostgreSQL would truncate (identifier-too-long): found in the SQL text, since the parse tree only has them cut.

export const MAX_IDENTIFIER_BYTES = 63;

/**
 * Identifiers longer than PostgreSQL keeps, read from the SQL text: the parser (like the
 * server) truncates them to 63 bytes before the parse tree is built, so only the text shows them.
 */
export function longIdentifiers(sql: string): string[] {
  const code = sql
    .replace(/--[^\n]*/g, ' ')
    .replace(/\/\*[\s\S]*?\*\//g, ' ')
    .replace(/\$([A-Za-z_]*)\$[\s\S]*?\$\1\$/g, ' ')
    .replace(/'(?:[^']|'')*'/g, ' ');
  const names = [
    ...[...code.matchAll(/"((?:[^"]|"")+)"/g)].map((m) => m[1]!.replace(/""/g, '"')),
    ...[...code.replace(/"(?:[^"]|"")+"/g, ' ').matchAll(/[A-Za-z_\u0080-\uffff][\w$\u0080-\uffff]*/g)].map((m) => m[0]),
  ];
  return [...new Set(names.filter((n) => Buffer.byteLength(n) > MAX_IDENTIFIER_BYTES))];
}
