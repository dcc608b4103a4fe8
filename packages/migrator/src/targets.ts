import { MigratorError } from './errors';

interface Named {
  readonly name: string;
  readonly timestamp: number;
}

/**
 * Resolves a TARGET: an exact migration name, or a unique prefix of a name (case-insensitive) or
 * of a timestamp. An unknown or ambiguous target is an error that lists the candidates.
 */
export function resolveTarget<T extends Named>(target: string, migrations: readonly T[]): T {
  const exact = migrations.find((m) => m.name === target);
  if (exact) return exact;
  const lower = target.toLowerCase();
  const matches = migrations.filter((m) => m.name.toLowerCase().startsWith(lower) || String(m.timestamp).startsWith(target));
  if (matches.length === 1) return matches[0]!;
  if (matches.length > 1) {
    throw new MigratorError(
      'ambiguous_target',
      `target "${target}" matches ${matches.length} migrations: ${matches.map((m) => m.name).join(', ')}; give more of the name or timestamp`,
      { target, candidates: matches.map((m) => m.name) },
    );
  }
  const known = migrations.map((m) => m.name);
  throw new MigratorError(
    'unknown_target',
    `no migration matches "${target}"; known: ${known.length ? known.join(', ') : '(none)'} (or use head / base)`,
    { target, candidates: known },
  );
}
