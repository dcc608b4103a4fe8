import { EXIT, flag, type CliCommand } from '../command';
import { formatRun } from '../format/run';
import { splitRange } from './range';
import { TRANSACTION_OPTIONS, transactionMode } from './transaction';

/** `up [TARGET|+N|FROM:TO] [--sql]`: apply pending migrations (or preview their SQL). */
export const upCommand: CliCommand = {
  name: 'up',
  aliases: ['upgrade'],
  usage: [
    'up [TARGET|+N] [--sql]       apply to head, to TARGET, or N steps (--allow-out-of-order for merged branches)',
    'up FROM:TO --sql             the SQL between two revisions (down FROM:TO --sql too, e.g. down head:base --sql)',
  ],
  options: {
    sql: { type: 'boolean', help: '--sql   print the SQL instead of running it (up, down)' },
    'allow-out-of-order': { type: 'boolean' },
    ...TRANSACTION_OPTIONS,
  },
  async run({ args, values, expectArgs, session, progress, print }) {
    expectArgs(1, 'at most one TARGET or +N');
    const { from, to: arg } = splitRange(args[0]);
    const transaction = transactionMode(values);
    const plus = arg && /^\+\d+$/.test(arg) ? Number(arg.slice(1)) : undefined;
    const { migrator } = await (await session()).open({ entities: false, onEvent: progress });
    const result = await migrator.up({
      target: plus === undefined && arg !== 'head' ? arg : undefined,
      from,
      steps: plus,
      dryRun: flag(values, 'sql'),
      allowOutOfOrder: flag(values, 'allow-out-of-order'),
      transaction,
    });
    print(result, formatRun(result));
    // A preview that could not show every migration is a problem found: the script stops there.
    return result.error || result.results.some((r) => r.status === 'unavailable') ? EXIT.problem : EXIT.ok;
  },
};
