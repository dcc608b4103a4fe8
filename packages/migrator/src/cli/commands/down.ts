import { EXIT, UsageError, flag, type CliCommand } from '../command';
import { formatRun } from '../format/run';
import { splitRange } from './range';
import { TRANSACTION_OPTIONS, transactionMode } from './transaction';

/** `down [-N|TARGET|base] [--sql]`: revert (or preview reverting) applied migrations. */
export const downCommand: CliCommand = {
  name: 'down',
  aliases: ['downgrade'],
  usage: ['down [-N|TARGET|base] [--sql] revert one step (default), N steps, everything after TARGET, or everything'],
  options: { sql: { type: 'boolean' }, ...TRANSACTION_OPTIONS },
  takesSteps: true,
  async run({ args, values, steps, expectArgs, session, progress, print }) {
    expectArgs(1, 'at most one -N, TARGET or base');
    if (steps !== undefined && args.length) throw new UsageError('down takes either -N or a TARGET, not both');
    // A bare number is a timestamp prefix (a TARGET), as in Alembic; steps are always -N.
    const { from, to } = splitRange(args[0]);
    const { migrator } = await (await session()).open({ entities: false, onEvent: progress });
    const transaction = transactionMode(values);
    const result = await migrator.down({ steps, target: to, from, dryRun: flag(values, 'sql'), transaction });
    print(result, formatRun(result));
    // A preview that could not show every migration is a problem found: the script stops there.
    return result.error || result.results.some((r) => r.status === 'unavailable') ? EXIT.problem : EXIT.ok;
  },
};
