import path from 'node:path';
import type { Migrator } from '@cathouse/migrator';
import type { MigrationDataSource } from '../../db/migration-data-source';
import { MIGRATION_LINT_CONFIG } from '../../db/migration-paths';
import { formatCheck, formatGenerated, formatRehearsal } from '../format-lint';
import { EXIT, UsageError, lazy, type MigrateContext } from './command';

// Commands that compare migrations with the entities: generate, check, rehearse.

export async function generateCommand({ args, print, expectArgs }: MigrateContext, source: MigrationDataSource): Promise<number> {
  expectArgs(1, 'one NAME');
  if (!args[0]) throw new UsageError('generate needs a NAME, e.g. generate add-cat-ratings');
  // TypeORM's form, `migration:generate src/migrations/AddCatRatings`: the folder and the name in one path.
  const [outDir, name] = args[0].includes('/') ? [path.resolve(path.dirname(args[0])), path.basename(args[0])] : [source.migrationsDir, args[0]];
  const generated = await lazy.migrator().generateMigration(source, outDir, name, {
    entityGroups: lazy.entities().entitiesByService,
    lintConfig: lazy.migrator().readLintConfig(MIGRATION_LINT_CONFIG),
  });
  print(generated, formatGenerated(generated));
  return generated.lint.errors > 0 ? EXIT.problem : EXIT.ok;
}

export async function checkCommand({ print, expectArgs }: MigrateContext, migrator: Migrator): Promise<number> {
  expectArgs(0, 'no arguments');
  const report = await lazy.migrator().checkDatabase(migrator, { entityGroups: lazy.entities().entitiesByService });
  print(report, formatCheck(report));
  return report.ok ? EXIT.ok : EXIT.problem;
}

export async function rehearseCommand(ctx: MigrateContext, migrator: Migrator): Promise<number> {
  const { values, config, migrationsDir, io, print, expectArgs, progress } = ctx;
  expectArgs(0, 'no arguments');
  const maxRows = values['max-rows-per-table'];
  if (maxRows !== undefined && !/^[1-9]\d*$/.test(maxRows)) throw new UsageError(`--max-rows-per-table takes a positive number, got ${maxRows}`);
  let on: MigrationDataSource | undefined;
  if (values.on) {
    const { MigrationDataSource } = lazy.dataSource();
    on = new MigrationDataSource(config, values.on, { migrationsDir, loadMigrations: false, onEvent: progress });
    ctx.opened(on);
    await on.initialize();
  }
  // Ctrl-C must not leave the scratch database behind: the first one drops it (ending the
  // step in flight) and lets the report print; a second one exits at once.
  const interrupt = new AbortController();
  const onSignal = () => {
    if (interrupt.signal.aborted) process.exit(130);
    interrupt.abort();
  };
  process.on('SIGINT', onSignal).on('SIGTERM', onSignal);
  let report;
  try {
    report = await lazy.migrator().rehearse(migrator, {
      onProgress: (line) => io.err(line),
      signal: interrupt.signal,
      entityGroups: lazy.entities().entitiesByService,
      withData: values['with-data'],
      maxRowsPerTable: maxRows === undefined ? undefined : Number(maxRows),
      on,
    });
  } finally {
    process.off('SIGINT', onSignal).off('SIGTERM', onSignal);
  }
  print(report, formatRehearsal(report));
  return report.ok ? EXIT.ok : EXIT.problem;
}
