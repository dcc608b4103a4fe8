import type { CliCommand } from './command';

/**
 * Alembic's commands that have no command of that name here, and what to use instead: users come
 * from its guide and type its words. (Its other words are commands or aliases: upgrade, downgrade,
 * current, heads, history, show, branches, merge, revision, stamp, check.)
 */
const ALEMBIC: Readonly<Record<string, string>> = {
  init: 'there is nothing to set up: the TypeORM DataSource is the configuration (its migrations and migrationsTableName); create NAME writes the first migration',
  list_templates: 'there are no templates: create NAME writes a TypeORM migration class',
  edit: 'open the file in your editor (show REV prints its path)',
  ensure_version: 'up creates the history table when it is missing',
};

/** The message for a word that is no command: Alembic's equivalent, or the closest command name. */
export function unknownCommand(word: string, commands: readonly CliCommand[]): string {
  const alembic = ALEMBIC[word];
  if (alembic) return `"${word}" is an Alembic command with no equivalent here: ${alembic}`;
  const words = commands.flatMap((c) => [c.name, ...(c.aliases ?? [])]);
  const near = words.map((w) => ({ w, d: distance(word.toLowerCase(), w) })).sort((a, b) => a.d - b.d)[0];
  return near && near.d <= Math.max(1, Math.floor(word.length / 3)) ? `unknown command "${word}": did you mean ${near.w}?` : `unknown command "${word}"`;
}

/** Edit distance (insertions, deletions, substitutions). */
function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length]!;
}
