import path from 'node:path';
import { EXIT, UsageError, flag, type CliCommand } from '../command';
import { formatGenerated } from '../format/lint';
import { library } from './lazy';

/** `generate NAME|DIR/NAME`: a migration from the entity diff, then its lint report. */
export const generateCommand: CliCommand = {
  name: 'generate',
  usage: ['generate NAME|DIR/NAME       a migration from the entity diff, then its lint report (refuses a database behind head: --allow-pending)'],
  options: { 'allow-pending': { type: 'boolean' } },
  async run({ args, values, expectArgs, session, progress, print }) {
    expectArgs(1, 'one NAME');
    if (!args[0]) throw new UsageError('generate needs a NAME, e.g. generate add-cat-ratings');
    const s = await session();
    const { dataSource, migrator } = await s.open({ entities: true, onEvent: progress });
    // TypeORM's form, `migration:generate src/migrations/AddCatRatings`: the folder and the name in one path.
    const [outDir, name] = args[0].includes('/') ? [path.resolve(path.dirname(args[0])), path.basename(args[0])] : [s.migrationsDir, args[0]];
    const generated = await library().generateMigration(dataSource, outDir, name, {
      entityGroups: s.entityGroups?.(),
      lintConfig: s.lintConfig,
      migrator,
      allowPending: flag(values, 'allow-pending'),
    });
    print(generated, formatGenerated(generated));
    return generated.lint.errors > 0 ? EXIT.problem : EXIT.ok;
  },
};
