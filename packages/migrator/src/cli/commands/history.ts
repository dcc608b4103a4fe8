import { readState } from '../../migration-state';
import { EXIT, flag, type CliCommand } from '../command';
import { formatHistory } from '../format/state';

/** `history [--verbose]`: every migration, applied or not. */
export const historyCommand: CliCommand = {
  name: 'history',
  usage: ['history [--verbose]          every migration, applied or not (when, how long, checksum, file)'],
  options: { verbose: { type: 'boolean', short: 'v' } },
  async run({ expectArgs, session, print, values }) {
    expectArgs(0, 'no arguments');
    const s = await session();
    const read = await s.openRead();
    try {
      const state = await readState(read.db, s.migrations, read.history);
      print(state, formatHistory(state, flag(values, 'verbose')));
      return EXIT.ok;
    } finally {
      await read.close();
    }
  },
};
