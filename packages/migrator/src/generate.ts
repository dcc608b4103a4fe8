import type { DataSource } from 'typeorm';
import { createMigration, type CreatedMigration } from './create';
import { MigratorError } from './errors';
import type { LintConfig } from './lint/config';
import { lintMigrations, type LintReport } from './lint/lint';
import { diffSchema, type EntityGroups } from './schema-diff';

export interface GeneratedMigration extends CreatedMigration {
  readonly up: readonly string[];
  readonly down: readonly string[];
  readonly compared: string;
  /** Indexes and foreign keys TypeORM proposed to drop and re-create unchanged (left out). */
  readonly removedNoise: readonly string[];
  readonly lint: LintReport;
}

/**
 * Writes a migration from the difference between the entities and the database, then lints it.
 * Nothing to generate is an error that says what was compared.
 */
export async function generateMigration(
  dataSource: DataSource,
  migrationsDir: string,
  name: string,
  opts: { entityGroups?: EntityGroups; lintConfig?: LintConfig } = {},
): Promise<GeneratedMigration> {
  const diff = await diffSchema(dataSource, opts.entityGroups);
  if (!diff.up.length) {
    const noise = diff.removedNoise.length ? ` (left out ${diff.removedNoise.length} unchanged re-creation(s): ${diff.removedNoise.join(', ')})` : '';
    throw new MigratorError(
      'nothing_to_generate',
      `nothing to generate: ${diff.compared} and found no difference${noise}` +
        (diff.entityCount === 0 ? ' (no entities were loaded: check the entities of the DataSource)' : '; use create NAME for a hand-written migration'),
      { compared: diff.compared },
    );
  }
  const withParams = diff.up.some((q) => q.parameters?.length) || diff.down.some((q) => q.parameters?.length);
  if (withParams) {
    throw new MigratorError('usage', 'the schema diff has parameterised statements, which generate does not write: use typeorm migration:generate for this one');
  }
  const up = diff.up.map((q) => q.query);
  const down = diff.down.map((q) => q.query);
  const created = createMigration(migrationsDir, name, { up, down });
  const lint = await lintMigrations({ migrationsDir, files: [created.file], config: opts.lintConfig });
  return { ...created, up, down, compared: diff.compared, removedNoise: diff.removedNoise, lint };
}
