import { EXIT, flag, type CliCommand } from '../command';
import { formatRun } from '../format/run';
import { LINT_GATE_OPTION, lintGate } from './lint-gate';
import { splitRange } from './range';
import { SQL_OPTIONS, emitSql, offlineRange, refuseOutputWithoutSql } from './sql-output';
import { TRANSACTION_OPTIONS, transactionMode } from './transaction';
import { upWithNothingToDo } from './up-fast';

/** `up [TARGET|+N|FROM:TO] [--sql]`: apply pending migrations (or preview their SQL). */
export const upCommand: CliCommand = {
  name: 'up',
  aliases: ['upgrade'],
  usage: [
    'up [TARGET|+N] [--sql]       apply to head, to TARGET, or N steps (--allow-out-of-order for merged branches)',
    'up FROM:TO --sql [--offline] the SQL between two revisions (down FROM:TO --sql too, e.g. down head:base --sql); no database needed',
    '  [--output FILE]            with --sql: write the script to FILE; up refuses unacknowledged lint errors (--allow-lint-errors)',
  ],
  options: {
    sql: { type: 'boolean', help: '--sql   print the SQL instead of running it (up, down)' },
    'allow-out-of-order': { type: 'boolean' },
    ...TRANSACTION_OPTIONS,
    ...SQL_OPTIONS,
    ...LINT_GATE_OPTION,
  },
  async run(ctx) {
    const { args, values, expectArgs, session, progress, print } = ctx;
    expectArgs(1, 'at most one TARGET or +N');
    refuseOutputWithoutSql(ctx);
    const { from, to: arg } = splitRange(args[0]);
    const transaction = transactionMode(values);
    const plus = arg && /^\+\d+$/.test(arg) ? Number(arg.slice(1)) : undefined;
    const offline = await offlineRange(ctx, 'up', from, arg);
    if (offline) {
      emitSql(ctx, offline.result, offline.text, `the SQL of ${offline.result.results.length} migration(s)`);
      return offline.result.results.some((r) => r.status === 'unavailable') ? EXIT.problem : EXIT.ok;
    }
    // Plain `up` (Alembic's `upgrade head`) with nothing to do: answered without loading TypeORM.
    if ((arg === undefined || arg === 'head' || arg === 'heads') && from === undefined && !flag(values, 'sql') && transaction === undefined) {
      const nothing = await upWithNothingToDo(ctx);
      if (nothing) {
        print(nothing, formatRun(nothing));
        return EXIT.ok;
      }
    }
    const { migrator } = await (await session()).open({ entities: false, onEvent: progress });
    const options = {
      // `upgrade heads` (Alembic) is head: this history has one.
      target: plus === undefined && arg !== 'head' && arg !== 'heads' ? arg : undefined,
      from,
      steps: plus,
      dryRun: flag(values, 'sql'),
      allowOutOfOrder: flag(values, 'allow-out-of-order'),
      transaction,
    };
    await lintGate(ctx, migrator, options);
    const result = await migrator.up(options);
    if (options.dryRun) emitSql(ctx, result, formatRun(result), `the SQL of ${result.results.length} migration(s)`);
    else print(result, formatRun(result));
    // A preview that could not show every migration is a problem found: the script stops there.
    return result.error || result.results.some((r) => r.status === 'unavailable') ? EXIT.problem : EXIT.ok;
  },
};
