import { readState } from '../../migration-state';
import { readPrivileges } from '../../privileges/apply';
import { EXIT, type CliCommand } from '../command';
import { formatStatus } from '../format/state';

/** `status`: current revision, pending migrations, problems (and privilege drift when the host has a policy). */
export const statusCommand: CliCommand = {
  name: 'status',
  aliases: ['current', 'heads'],
  usage: ['status                       current revision, pending migrations, problems'],
  async run({ expectArgs, session, print, host }) {
    expectArgs(0, 'no arguments');
    const s = await session();
    const read = await s.openRead();
    try {
      const state = await readState(read.db, s.migrations, read.history);
      const privileges = read.privileges ? await readPrivileges(read.db, read.privileges) : null;
      print({ ...state, privileges }, formatStatus(state, privileges, host));
      return state.problems.length || (privileges && !privileges.ok) ? EXIT.problem : EXIT.ok;
    } finally {
      await read.close();
    }
  },
};
