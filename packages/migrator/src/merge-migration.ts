import { createMigration, type CreatedMigration } from './create';
import { MigratorError } from './errors';
import type { Migrator } from './migrator';
import { resolveTarget } from './targets';

export interface MergeMigration extends CreatedMigration {
  /** The migrations it merges (they keep their names). */
  readonly merges: readonly string[];
}

/**
 * Alembic's `merge`: writes a migration after the head that names the migrations of a merged
 * branch (by default, those the database has pending but older than what it applied). It runs
 * nothing; its list lets those migrations be applied out of timestamp order, on every database,
 * under their own names, so a database that applied them already stays right (merge.ts). Unlike
 * rebase, no name changes: nothing looks pending again, nothing runs twice.
 */
export async function mergeMigrations(migrator: Migrator, opts: { revisions?: readonly string[]; message?: string } = {}): Promise<MergeMigration> {
  const files = await migrator.migrations();
  let merges: string[];
  if (opts.revisions?.length) {
    merges = opts.revisions.map((r) => resolveTarget(r, files).name);
  } else {
    const state = await migrator.status();
    merges = state.migrations.filter((m) => m.outOfOrder).map((m) => m.name);
    if (!merges.length) {
      throw new MigratorError('usage', 'nothing to merge: no pending migration is older than what the database applied; name the migrations to merge (merge REV...) to write one anyway');
    }
  }
  const created = createMigration(migrator.migrationsDir, opts.message ?? 'merge-heads', {
    members: `    /** A merge migration (migrator merge): these keep their names and may be applied out of timestamp order. */\n    static readonly merges = [${merges.map((m) => `'${m}'`).join(', ')}];`,
    emptyBody: 'a merge migration: nothing to run',
  });
  return { ...created, merges };
}
