import path from 'node:path';
import { readHistory, type AppliedMigration, type HistoryLocation, type Queryable } from './history';
import { mergedNames } from './merge';
import { listMigrations, type MigrationFile, type MigrationSource } from './migration-files';

export type ProblemCode = 'checksum_mismatch' | 'out_of_order' | 'missing_migration_file';

/** Something wrong with the history: what, where, and the way out. */
export interface Problem {
  readonly code: ProblemCode;
  readonly migration: string;
  readonly file: string | null;
  readonly message: string;
}

export interface MigrationEntry {
  readonly name: string;
  readonly timestamp: number;
  /** Null when the database has applied it but no file of that name exists. */
  readonly file: string | null;
  readonly applied: boolean;
  /** Order of application (the `migrations` table id), null when pending. */
  readonly appliedOrder: number | null;
  readonly appliedAt: Date | null;
  readonly durationMs: number | null;
  readonly appliedBy: string | null;
  readonly via: string | null;
  readonly recordedChecksum: string | null;
  readonly fileChecksum: string | null;
  /**
   * ok, mismatch, unrecorded (applied before checksums, or by TypeORM itself: recorded by the next
   * write), legacy (recorded as the file's text by an earlier version and matching it: re-recorded
   * by the next write), or none (pending / no file).
   */
  readonly checksum: 'ok' | 'mismatch' | 'unrecorded' | 'legacy' | 'none';
  /** Pending, yet older than the newest applied migration (a merged branch). */
  readonly outOfOrder: boolean;
}

export interface MigrationState {
  /** Newest applied migration by timestamp (Alembic's "current"), null at base. */
  readonly current: string | null;
  /** Newest migration the code ships. */
  readonly head: string | null;
  /** Every migration known to the code or the database, by timestamp. */
  readonly migrations: readonly MigrationEntry[];
  readonly pending: readonly string[];
  readonly problems: readonly Problem[];
  /** Conventions the files do not follow that TypeORM accepts: said, never refused. */
  readonly notes: readonly string[];
}

const rel = (file: string) => path.relative(process.cwd(), file) || file;

/** Compares the files with the applied history. Pure: the same inputs give the same report. */
export function computeState(files: readonly MigrationFile[], history: readonly AppliedMigration[]): MigrationState {
  const applied = new Map(history.map((h) => [h.name, h]));
  const fileNames = new Set(files.map((f) => f.name));
  const newestApplied = history.reduce<AppliedMigration | null>((a, h) => (!a || h.timestamp > a.timestamp ? h : a), null);
  // A merge migration names the migrations of a merged branch: they may run out of order (merge.ts).
  const merged = mergedNames(files);
  const problems: Problem[] = [];
  const entries: MigrationEntry[] = [];

  for (const f of files) {
    const h = applied.get(f.name);
    const outOfOrder = !h && newestApplied !== null && f.timestamp < newestApplied.timestamp && !merged.has(f.name);
    const recorded = h?.checksum?.trim() ?? null;
    const checksum = !h ? 'none' : recorded === null ? 'unrecorded' : recorded === f.checksum ? 'ok' : recorded === f.legacyChecksum ? 'legacy' : 'mismatch';
    entries.push({
      name: f.name,
      timestamp: f.timestamp,
      file: f.file,
      applied: !!h,
      appliedOrder: h?.id ?? null,
      appliedAt: h?.appliedAt ?? null,
      durationMs: h?.durationMs ?? null,
      appliedBy: h?.appliedBy ?? null,
      via: h?.via ?? null,
      recordedChecksum: h?.checksum?.trim() ?? null,
      fileChecksum: f.checksum,
      checksum,
      outOfOrder,
    });
    if (checksum === 'mismatch') {
      problems.push({
        code: 'checksum_mismatch',
        migration: f.name,
        file: f.file,
        message:
          `${rel(f.file)} changed after ${f.name} was applied (checksum ${h!.checksum!.slice(0, 12)} recorded, ${f.checksum.slice(0, 12)} now): ` +
          `restore the file (git checkout -- ${rel(f.file)}) and write the change as a new migration (migrator create NAME)`,
      });
    }
    if (outOfOrder) {
      problems.push({
        code: 'out_of_order',
        migration: f.name,
        file: f.file,
        message:
          `${f.name} is pending but older than the applied ${newestApplied!.name} (two branches each added a migration: multiple heads): ` +
          `merge them (migrator merge: every migration keeps its name, right on every database), or apply it as it is with up --allow-out-of-order; ` +
          `rebase ${f.name} (a new timestamp) only if no database has applied it yet`,
      });
    }
  }
  for (const h of history) {
    if (fileNames.has(h.name)) continue;
    entries.push({
      name: h.name,
      timestamp: h.timestamp,
      file: null,
      applied: true,
      appliedOrder: h.id,
      appliedAt: h.appliedAt,
      durationMs: h.durationMs,
      appliedBy: h.appliedBy,
      via: h.via,
      recordedChecksum: h.checksum?.trim() ?? null,
      fileChecksum: null,
      checksum: 'none',
      outOfOrder: false,
    });
    problems.push({
      code: 'missing_migration_file',
      migration: h.name,
      file: null,
      message:
        `${h.name} is applied to the database but no migration file defines it: deploy a build that has it, ` +
        `or if it was deleted on purpose, forget it with migrator stamp head --delete-missing (the migrations of another folder belong in the DataSource's migrations instead)`,
    });
  }
  entries.sort((a, b) => a.timestamp - b.timestamp || a.name.localeCompare(b.name));
  return {
    current: newestApplied?.name ?? null,
    head: files.at(-1)?.name ?? null,
    migrations: entries,
    pending: entries.filter((e) => !e.applied).map((e) => e.name),
    problems,
    notes: [...new Set(files.flatMap((f) => f.notes))],
  };
}

/** Reads the migrations of `source` (a folder, globs and classes) and the history of the database, and compares them. Read-only. */
export async function readState(db: Queryable, source: MigrationSource, history: HistoryLocation): Promise<MigrationState> {
  const files = await listMigrations(source);
  return computeState(files, await readHistory(db, history));
}
