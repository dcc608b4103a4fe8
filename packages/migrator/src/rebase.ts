import { existsSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { MigratorError } from './errors';
import { listMigrations } from './migration-files';
import type { Migrator } from './migrator';
import { describeDatabase } from './schema-diff';
import { resolveTarget } from './targets';

export interface RebasedMigration {
  readonly from: { readonly name: string; readonly file: string; readonly timestamp: number };
  readonly to: { readonly name: string; readonly file: string; readonly timestamp: number };
  /** The newest migration before the rebase, which it now follows. */
  readonly after: string;
}

/**
 * Gives a migration that the database has not applied a new timestamp after the newest one:
 * in its file name (when it carries one), its class name and its `name`. It is what Alembic
 * calls merging heads, for a branch merged with a migration older than the applied head. Refuses
 * a migration the database has applied: a new name would make it look pending and run again.
 */
export async function rebaseMigration(migrator: Migrator, target: string, now = Date.now()): Promise<RebasedMigration> {
  const files = await listMigrations(migrator.source);
  const migration = resolveTarget(target, files);
  const state = await migrator.status();
  if (state.migrations.find((m) => m.name === migration.name)?.applied) {
    throw new MigratorError(
      'already_applied',
      `${migration.name} is already applied to the ${describeDatabase(migrator.dataSource)}: a new timestamp would make it look pending there and run it again; ` +
        'keep its name (apply the branch with up --allow-out-of-order), or write the change as a new migration',
      { migration: migration.name },
    );
  }
  const siblings = files.filter((f) => f.file === migration.file);
  if (siblings.length > 1) {
    throw new MigratorError('usage', `${migration.file} defines ${siblings.length} migrations (${siblings.map((s) => s.name).join(', ')}): move ${migration.name} to a file of its own first`);
  }
  const head = files.at(-1)!;
  if (head.name === migration.name) {
    throw new MigratorError('usage', `${migration.name} is already the newest migration: nothing to rebase`);
  }
  const timestamp = Math.max(now, head.timestamp + 1);
  const old = String(migration.timestamp);
  const renamed = (text: string) => text.split(old).join(String(timestamp));
  const base = path.basename(migration.file);
  const file = path.join(path.dirname(migration.file), base.startsWith(old) ? renamed(base) : base);
  if (file !== migration.file && existsSync(file)) throw new MigratorError('usage', `${file} already exists; rename it first`);
  writeFileSync(migration.file, renamed(migration.source));
  if (file !== migration.file) renameSync(migration.file, file);
  return {
    from: { name: migration.name, file: migration.file, timestamp: migration.timestamp },
    to: { name: renamed(migration.name), file, timestamp },
    after: head.name,
  };
}
