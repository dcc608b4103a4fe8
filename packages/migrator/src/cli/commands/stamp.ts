import { EXIT, UsageError, flag, type CliCommand } from '../command';
import { DEFAULT_HISTORY } from '../../history';
import { formatStamp } from '../format/run';
import { library } from './lazy';
import { SQL_OPTIONS, emitSql } from './sql-output';

/** `stamp TARGET|head|base`: record a revision as current without running SQL. */
export const stampCommand: CliCommand = {
  name: 'stamp',
  usage: [
    'stamp TARGET|head|base       record a revision as current without running SQL (and the checksums of applied migrations)',
    '  [--delete-missing]         also delete history rows of applied migrations no source defines',
    '  [--sql [--output FILE]]    print the bookkeeping as a script instead (Alembic\'s stamp --sql), from the files alone',
  ],
  options: { 'delete-missing': { type: 'boolean' }, sql: { type: 'boolean' }, output: SQL_OPTIONS.output! },
  async run(ctx) {
    const { args, values, expectArgs, session, progress, print } = ctx;
    expectArgs(1, 'one TARGET, head or base');
    if (!args[0]) throw new UsageError('stamp needs TARGET, head or base');
    if (flag(values, 'sql')) {
      // Alembic's `stamp --sql`: the bookkeeping as a script, from the files alone; nothing is written.
      const s = await session();
      const script = await library().stampScript({ source: s.migrations, target: args[0], history: s.history ?? DEFAULT_HISTORY });
      emitSql(ctx, { target: args[0], sql: script }, script.trimEnd(), `the stamp ${args[0]} script`);
      return EXIT.ok;
    }
    const { migrator } = await (await session()).open({ entities: false, onEvent: progress });
    const result = await migrator.stamp(args[0], { deleteMissing: flag(values, 'delete-missing') });
    print(result, formatStamp(result));
    return EXIT.ok;
  },
};
