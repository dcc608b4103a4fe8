import type { DataSource } from 'typeorm';
import type { LintConfig } from '../lint/config';
import { lintMigrations, type LintFinding } from '../lint/lint';
import type { Migrator } from '../migrator';

/**
 * The lint's size hint for the migrations rehearsed, read from the database that holds the data
 * (the real one, or the branch given with `on`): which statements touch a table that is large
 * there inside a transaction, so the report can say to run them with `transaction = false`,
 * CONCURRENTLY or in batches, beside how long each took on the copy.
 */
export async function sizeHints(migrator: Migrator, sizesFrom: DataSource, pending: readonly string[], config?: LintConfig): Promise<LintFinding[]> {
  const files = (await migrator.migrations()).filter((f) => pending.includes(f.name) && !f.file.startsWith('<'));
  if (!files.length) return [];
  const report = await lintMigrations({ migrationsDir: migrator.source, files: files.map((f) => f.file), config, database: sizesFrom });
  return report.findings.filter((f) => f.rule === 'large-table-in-transaction' && !f.acknowledged);
}
