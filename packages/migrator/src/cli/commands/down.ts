import { EXIT, UsageError, flag, type CliCommand } from '../command';
import { formatRun } from '../format/run';
import { splitRange } from './range';
import { SQL_OPTIONS, emitSql, offlineRange, refuseOutputWithoutSql } from './sql-output';
import { TRANSACTION_OPTIONS, transactionMode } from './transaction';

/** `down [-N|TARGET|base] [--sql]`: revert (or preview reverting) applied migrations. */
export const downCommand: CliCommand = {
  name: 'down',
  aliases: ['downgrade'],
  usage: ['down [-N|TARGET|base] [--sql] revert one step (default), N steps, everything after TARGET, or everything'],
  options: { sql: { type: 'boolean' }, ...TRANSACTION_OPTIONS, ...SQL_OPTIONS },
  takesSteps: true,
  async run(ctx) {
    const { args, values, steps, expectArgs, session, progress, print } = ctx;
    expectArgs(1, 'at most one -N, TARGET or base');
    if (steps !== undefined && args.length) throw new UsageError('down takes either -N or a TARGET, not both');
    refuseOutputWithoutSql(ctx);
    // A bare number is a timestamp prefix (a TARGET), as in Alembic; steps are always -N.
    const { from, to } = splitRange(args[0]);
    const offline = await offlineRange(ctx, 'down', from, to);
    if (offline) {
      emitSql(ctx, offline.result, offline.text, `the SQL of ${offline.result.results.length} migration(s)`);
      return offline.result.results.some((r) => r.status === 'unavailable') ? EXIT.problem : EXIT.ok;
    }
    const { migrator } = await (await session()).open({ entities: false, onEvent: progress });
    const transaction = transactionMode(values);
    const dryRun = flag(values, 'sql');
    const result = await migrator.down({ steps, target: to, from, dryRun, transaction });
    if (dryRun) emitSql(ctx, result, formatRun(result), `the SQL of ${result.results.length} migration(s)`);
    else print(result, formatRun(result));
    // A preview that could not show every migration is a problem found: the script stops there.
    return result.error || result.results.some((r) => r.status === 'unavailable') ? EXIT.problem : EXIT.ok;
  },
};
