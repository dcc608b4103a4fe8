import { MigratorError } from './errors';

interface Named {
  readonly name: string;
  readonly timestamp: number;
}

/** Alembic's relative revisions: `head-1`, `base+2`, `<rev>+1`, `<rev>-1` (a TARGET, then steps along the history). */
const RELATIVE = /^(.+?)([+-])(\d+)$/;

/** How many candidates an unknown target's message names (a history of hundreds must not print on one line). */
const NAMED = 5;

/**
 * Resolves a TARGET: an exact migration name, a unique prefix of a name (case-insensitive) or of
 * a timestamp, `head` (also Alembic's `heads`: this history has one), or Alembic's relative forms
 * `head-1`, `base+1`, `<rev>+N`, `<rev>-N` along `migrations` in order. An unknown or ambiguous
 * target is an error that names the closest candidates.
 */
export function resolveTarget<T extends Named>(target: string, migrations: readonly T[]): T {
  const exact = migrations.find((m) => m.name === target);
  if (exact) return exact;
  if ((target === 'head' || target === 'heads') && migrations.length) return migrations.at(-1)!;
  const relative = RELATIVE.exec(target);
  if (relative && !prefixMatches(target, migrations).length) {
    const [, base, sign, n] = relative as unknown as [string, string, '+' | '-', string];
    const from = base === 'base' ? -1 : migrations.indexOf(resolveTarget(base, migrations));
    const index = from + (sign === '+' ? 1 : -1) * Number(n);
    if (index < 0 || index >= migrations.length) {
      throw new MigratorError(
        'unknown_target',
        `"${target}" is outside the history: ${base} ${sign} ${n} steps goes ${index < 0 ? 'before the first' : 'past the last'} of ${migrations.length} migration(s)` +
          (index === -1 ? ' (that is base: use base)' : ''),
        { target },
      );
    }
    return migrations[index]!;
  }
  const matches = prefixMatches(target, migrations);
  if (matches.length === 1) return matches[0]!;
  if (matches.length > 1) {
    throw new MigratorError(
      'ambiguous_target',
      `target "${target}" matches ${matches.length} migrations: ${names(matches)}; give more of the name or timestamp`,
      { target, candidates: matches.map((m) => m.name) },
    );
  }
  const known = closest(target, migrations);
  throw new MigratorError(
    'unknown_target',
    `no migration matches "${target}"; known: ${known.length ? names(known) : '(none)'}${migrations.length > known.length ? ` (of ${migrations.length}; history lists them all)` : ''} (or use head / base, head-1, <rev>+1)`,
    { target, candidates: migrations.map((m) => m.name) },
  );
}

function prefixMatches<T extends Named>(target: string, migrations: readonly T[]): T[] {
  const lower = target.toLowerCase();
  return migrations.filter((m) => m.name.toLowerCase().startsWith(lower) || String(m.timestamp).startsWith(target));
}

const names = (ms: readonly Named[]) => (ms.length > NAMED ? `${ms.slice(0, NAMED).map((m) => m.name).join(', ')} and ${ms.length - NAMED} more` : ms.map((m) => m.name).join(', '));

/** The candidates an unknown target most likely meant: by the three-letter runs they share with it, newest first among equals. */
function closest<T extends Named>(target: string, migrations: readonly T[]): T[] {
  const lower = target.toLowerCase();
  const runs = [...new Set(Array.from({ length: Math.max(0, lower.length - 2) }, (_, i) => lower.slice(i, i + 3)))];
  const score = (m: T) => {
    const name = m.name.toLowerCase();
    return runs.filter((r) => name.includes(r)).length;
  };
  return [...migrations].reverse().sort((a, b) => score(b) - score(a)).slice(0, NAMED);
}

/** The position of a range end: base before everything, head after, else the TARGET's timestamp. */
function position(revision: string, migrations: readonly Named[]): number {
  if (revision === 'base') return -Infinity;
  if (revision === 'head' || revision === 'heads') return Infinity;
  return resolveTarget(revision, migrations).timestamp;
}

/**
 * `up FROM:TO` needs FROM before TO and `down FROM:TO` FROM after TO; otherwise the preview would
 * hold no migration and look like "nothing to do". Refused with the range that was meant.
 */
export function assertRangeOrder(direction: 'up' | 'down', from: string, to: string, migrations: readonly Named[]): void {
  const [a, b] = [position(from, migrations), position(to, migrations)];
  if (direction === 'up' ? a <= b : a >= b) return;
  const other = direction === 'up' ? 'down' : 'up';
  throw new MigratorError(
    'usage',
    `${direction} ${from}:${to} is backwards: ${direction} goes from ${direction === 'up' ? 'older to newer' : 'newer to older'}; for these revisions write ${other} ${from}:${to}, or ${direction} ${to}:${from}`,
    { from, to },
  );
}
