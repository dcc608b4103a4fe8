import path from 'node:path';
import { MIGRATIONS_DIR, MIGRATION_LINT_CONFIG } from '../../db/migration-paths';
import { formatLint } from '../format-lint';
import { EXIT, UsageError, lazy, type MigrateContext } from './command';

// Commands on migration files: create one, lint them (pending ones need the database).

/** `create NAME`: an empty migration with up and down. */
export function createCommand({ args, migrationsDir, print, expectArgs }: MigrateContext): number {
  expectArgs(1, 'one NAME');
  if (!args[0]) throw new UsageError('create needs a NAME, e.g. create add-cat-ratings');
  const created = lazy.migrator().createMigration(migrationsDir ?? MIGRATIONS_DIR, args[0]);
  print(created, `created ${path.relative(process.cwd(), created.file)} (${created.name}): write up() and down(), then lint and rehearse it`);
  return EXIT.ok;
}

/** `lint [FILE...]`: unsafe or destructive changes (default: the pending migrations). */
export async function lintCommand({ args, migrationsDir, print, open, progress, closeAll }: MigrateContext): Promise<number> {
  const files = args.length ? args.map((a) => path.resolve(a)) : undefined;
  try {
    const report = await lazy.migrator().lintMigrations({
      migrationsDir: migrationsDir ?? MIGRATIONS_DIR,
      files,
      config: lazy.migrator().readLintConfig(MIGRATION_LINT_CONFIG),
      migrator: files ? undefined : (await open()).migrator('migrate', progress),
    });
    print(report, formatLint(report));
    return report.errors > 0 ? EXIT.problem : EXIT.ok;
  } finally {
    await closeAll();
  }
}
