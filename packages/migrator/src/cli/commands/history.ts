import { EXIT, flag, type CliCommand } from '../command';
import { formatHistory } from '../format/state';
import { OFFLINE_OPTION, brokenPendingFiles, readStateOrFiles } from './read-state';

/** `history [--verbose] [--offline]`: every migration, applied or not; from the files alone without a database. */
export const historyCommand: CliCommand = {
  name: 'history',
  usage: ['history [--verbose] [--offline]  every migration, applied or not (when, how long, checksum, file)'],
  options: { verbose: { type: 'boolean', short: 'v' }, ...OFFLINE_OPTION },
  async run(ctx) {
    ctx.expectArgs(0, 'no arguments');
    const { files, state, offline } = await readStateOrFiles(ctx, { offline: true });
    // Offline every file counts as pending: loading them all would only slow the hand-off down.
    const broken = offline ? [] : await brokenPendingFiles(files, state);
    ctx.print({ ...state, offline: offline !== null, brokenFiles: broken }, formatHistory(state, flag(ctx.values, 'verbose'), { offline: offline !== null, broken }));
    return broken.length ? EXIT.problem : EXIT.ok;
  },
};
