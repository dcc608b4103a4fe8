import type { MigrationFile } from './migration-files';

/**
 * Alembic's merge revision, in a history ordered by timestamp: a merge migration lists the
 * migrations of a merged branch (`static merges = ['AddTags1700000000001', ...]`) that some
 * databases applied before others. Every migration keeps its name, so a database that already
 * applied one of them is right as it is, and one that has not applies it at the next `up`: it is
 * no longer an out-of-order problem. Read from the file's text, like the rest of `status`.
 */
const MERGES = /\bmerges\s*=\s*\[([^\]]*)\]/;

/** The names a migration's source declares it merges. */
export function mergesOf(source: string): string[] {
  const list = MERGES.exec(source)?.[1] ?? '';
  return [...list.matchAll(/(['"`])([^'"`]+)\1/g)].map((m) => m[2]!);
}

/** Every migration some merge migration names: those may be applied out of timestamp order. */
export function mergedNames(files: readonly MigrationFile[]): Set<string> {
  return new Set(files.flatMap((f) => mergesOf(f.source)));
}
