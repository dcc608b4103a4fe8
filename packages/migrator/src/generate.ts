import type { DataSource } from 'typeorm';
import { createMigration, type CreatedMigration } from './create';
import { MigratorError } from './errors';
import type { LintConfig } from './lint/config';
import { lintMigrations, type LintReport } from './lint/lint';
import type { Migrator } from './migrator';
import { diffSchema, type EntityGroups } from './schema-diff';

export interface GeneratedMigration extends CreatedMigration {
  readonly up: readonly string[];
  readonly down: readonly string[];
  readonly compared: string;
  /** Indexes and foreign keys TypeORM proposed to drop and re-create unchanged (left out). */
  readonly removedNoise: readonly string[];
  readonly lint: LintReport;
}

export interface GenerateOptions {
  readonly entityGroups?: EntityGroups;
  readonly lintConfig?: LintConfig;
  /**
   * The Migrator of `dataSource`'s database: generate then refuses a database that is behind its
   * migrations or whose history has problems, as Alembic refuses ("Target database is not up to
   * date"): the diff against such a database repeats what the pending migrations do.
   */
  readonly migrator?: Migrator;
  /** Generate against a database with pending migrations anyway. */
  readonly allowPending?: boolean;
}

/**
 * Writes a migration from the difference between the entities and the database, then lints it.
 * Nothing to generate is an error that says what was compared; so is a database that is not
 * up to date (with `migrator`), unless `allowPending`.
 */
export async function generateMigration(dataSource: DataSource, migrationsDir: string, name: string, opts: GenerateOptions = {}): Promise<GeneratedMigration> {
  if (opts.migrator && !opts.allowPending) await assertUpToDate(opts.migrator);
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

async function assertUpToDate(migrator: Migrator): Promise<void> {
  const state = await migrator.status();
  if (state.problems.length) {
    const first = state.problems[0]!;
    throw new MigratorError('not_up_to_date', `the database's history has ${state.problems.length} problem(s), so a diff against it cannot be trusted: ${first.message} (migrator status lists them)`, {
      problems: state.problems,
    });
  }
  if (state.pending.length) {
    const names = state.pending.length > 3 ? `${state.pending.slice(0, 3).join(', ')} and ${state.pending.length - 3} more` : state.pending.join(', ');
    throw new MigratorError(
      'not_up_to_date',
      `target database is not up to date: ${state.pending.length} migration(s) pending (${names}); a migration generated now would repeat their changes. ` +
        'Apply them first (migrator up), then generate; or generate anyway with --allow-pending',
      { pending: state.pending },
    );
  }
}
