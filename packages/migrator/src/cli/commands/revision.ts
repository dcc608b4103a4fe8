import { UsageError, flag, stringOption, type CliCommand } from '../command';
import { createCommand } from './create';
import { generateCommand } from './generate';

/**
 * Alembic's `revision -m MSG` (= create MSG) and `revision --autogenerate -m MSG` (= generate MSG):
 * the first command of the guide users come from, taken as they type it.
 */
export const revisionCommand: CliCommand = {
  name: 'revision',
  usage: ['revision [--autogenerate] -m MSG   Alembic\'s words: generate MSG (--autogenerate), else create MSG'],
  options: {
    message: { type: 'string', short: 'm' },
    autogenerate: { type: 'boolean' },
    'allow-pending': { type: 'boolean' },
  },
  run(ctx) {
    ctx.expectArgs(0, 'no arguments (the name is -m MSG)');
    const message = stringOption(ctx.values, 'message');
    if (!message) throw new UsageError('revision needs -m MSG, e.g. revision --autogenerate -m "add user status field" (the same as generate add-user-status-field)');
    const as = flag(ctx.values, 'autogenerate') ? generateCommand : createCommand;
    return as.run({ ...ctx, command: as.name, args: [message] });
  },
};
