import { EXIT, UsageError, flag, type CliCommand } from '../command';
import { formatStamp } from '../format/run';

/** `stamp TARGET|head|base`: record a revision as current without running SQL. */
export const stampCommand: CliCommand = {
  name: 'stamp',
  usage: [
    'stamp TARGET|head|base       record a revision as current without running SQL (and the checksums of applied migrations)',
    '  [--delete-missing]         also delete history rows of applied migrations no source defines',
  ],
  options: { 'delete-missing': { type: 'boolean' } },
  async run({ args, values, expectArgs, session, progress, print }) {
    expectArgs(1, 'one TARGET, head or base');
    if (!args[0]) throw new UsageError('stamp needs TARGET, head or base');
    const { migrator } = await (await session()).open({ entities: false, onEvent: progress });
    const result = await migrator.stamp(args[0], { deleteMissing: flag(values, 'delete-missing') });
    print(result, formatStamp(result));
    return EXIT.ok;
  },
};
