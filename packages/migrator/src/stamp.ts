import type { QueryRunner } from 'typeorm';
import { readHistory, recordApplied, recordChecksum, recordReverted, type HistoryLocation } from './history';
import type { MigrationFile } from './migration-files';
import type { StampResult } from './run-result';
import { resolveTarget } from './targets';

export interface StampOptions {
  /**
   * Also delete the history rows of applied migrations that no source defines. Off by default:
   * a migration the tool cannot see (another folder, a build that lacks it) is still applied.
   */
  readonly deleteMissing?: boolean;
}

/**
 * Records `target` ('head', 'base' or a TARGET) as the current revision without running any SQL,
 * on `runner` (which holds the migration lock), in one transaction: rows for the migrations up to
 * it, none for the known ones after it, and the checksum of every applied migration that has none
 * (a database TypeORM itself migrated) or an earlier version's.
 */
export async function stampHistory(
  runner: QueryRunner,
  history: HistoryLocation,
  files: readonly MigrationFile[],
  target: string,
  opts: StampOptions = {},
): Promise<StampResult> {
  const applied = await readHistory(runner, history);
  const upTo = target === 'base' ? -Infinity : target === 'head' ? Infinity : resolveTarget(target, files).timestamp;
  const wanted = files.filter((f) => f.timestamp <= upTo);
  const known = new Map(files.map((f) => [f.name, f]));
  const appliedNames = new Set(applied.map((h) => h.name));
  const inserted = wanted.filter((f) => !appliedNames.has(f.name));
  const missing = applied.filter((h) => !known.has(h.name)).map((h) => h.name);
  const after = applied.filter((h) => known.has(h.name) && known.get(h.name)!.timestamp > upTo).map((h) => h.name);
  const deleted = opts.deleteMissing ? [...after, ...missing] : after;
  const checksummed = applied
    .filter((h) => known.has(h.name) && !after.includes(h.name))
    .filter((h) => h.checksum === null || h.checksum.trim() !== known.get(h.name)!.checksum)
    .filter((h) => h.checksum === null || h.checksum.trim() === known.get(h.name)!.legacyChecksum);
  await runner.startTransaction();
  try {
    for (const f of inserted) for (const q of recordApplied(history, { ...f, durationMs: null, via: 'stamp' })) await runner.query(q.sql, q.params);
    for (const h of checksummed) {
      const q = recordChecksum(history, { name: h.name, checksum: known.get(h.name)!.checksum, durationMs: h.durationMs, via: h.via ?? 'stamp' }, { keepApplied: true });
      await runner.query(q.sql, q.params);
    }
    for (const name of deleted) for (const q of recordReverted(history, name)) await runner.query(q.sql, q.params);
    await runner.commitTransaction();
  } catch (err) {
    await runner.rollbackTransaction().catch(() => undefined);
    throw err;
  }
  return {
    inserted: inserted.map((f) => f.name),
    deleted,
    kept: opts.deleteMissing ? [] : missing,
    checksummed: checksummed.map((h) => h.name),
    current: [...wanted, ...(opts.deleteMissing ? [] : applied.filter((h) => !known.has(h.name)))].sort((a, b) => a.timestamp - b.timestamp).at(-1)?.name ?? null,
  };
}
