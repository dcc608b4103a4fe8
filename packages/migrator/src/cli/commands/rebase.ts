import path from 'node:path';
import { EXIT, UsageError, type CliCommand } from '../command';
import { library } from './lazy';

/** `rebase NAME`: a pending migration (a merged branch's) gets a new timestamp after the head. */
export const rebaseCommand: CliCommand = {
  name: 'rebase',
  usage: ["rebase NAME                  give a pending migration (a merged branch's) a new timestamp after the head"],
  async run({ args, expectArgs, session, progress, print }) {
    expectArgs(1, 'one NAME');
    if (!args[0]) throw new UsageError('rebase needs the NAME (or a unique prefix) of a pending migration');
    const { migrator } = await (await session()).open({ entities: false, onEvent: progress });
    const rebased = await library().rebaseMigration(migrator, args[0]);
    print(
      rebased,
      `rebased ${rebased.from.name} to ${rebased.to.name}: ${path.relative(process.cwd(), rebased.to.file)} now follows ${rebased.after}; ` +
        'commit the renamed file',
    );
    return EXIT.ok;
  },
};
