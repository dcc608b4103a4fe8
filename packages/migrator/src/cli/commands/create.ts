import path from 'node:path';
import { EXIT, UsageError, type CliCommand } from '../command';
import { library } from './lazy';

/** `create NAME`: an empty migration with up and down. */
export const createCommand: CliCommand = {
  name: 'create',
  usage: ['create NAME                  an empty migration with up and down'],
  async run({ args, expectArgs, session, print }) {
    expectArgs(1, 'one NAME');
    if (!args[0]) throw new UsageError('create needs a NAME, e.g. create add-cat-ratings');
    const created = library().createMigration((await session()).migrationsDir, args[0]);
    print(created, `created ${path.relative(process.cwd(), created.file)} (${created.name}): write up() and down(), then lint and rehearse it`);
    return EXIT.ok;
  },
};
