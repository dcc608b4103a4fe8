import type { PrivilegeReport } from '../../privileges/apply';
import { readPrivileges } from '../../privileges/apply';
import { EXIT, type CliCommand } from '../command';
import { formatStatus } from '../format/state';
import { brokenPendingFiles, readStateOrFiles, type BrokenFile } from './read-state';

/**
 * `status`: current revision, pending migrations, every problem (and privilege drift when the
 * host has a policy). Exit 1 on any problem, including a pending file that does not load: `up`
 * would fail on it. `current` and `heads` are commands of their own (one line each).
 */
export const statusCommand: CliCommand = {
  name: 'status',
  usage: ['status                       current revision, pending migrations, problems (exit 1 on any)'],
  async run(ctx) {
    ctx.expectArgs(0, 'no arguments');
    let privileges: PrivilegeReport | null = null;
    const { files, state } = await readStateOrFiles(ctx, { offline: false }, async (read) => {
      privileges = read.privileges ? await readPrivileges(read.db, read.privileges) : null;
    });
    const broken: BrokenFile[] = await brokenPendingFiles(files, state);
    const report = privileges as PrivilegeReport | null;
    ctx.print({ ...state, brokenFiles: broken, privileges: report }, formatStatus(state, report, ctx.host, broken));
    return state.problems.length || broken.length || (report && !report.ok) ? EXIT.problem : EXIT.ok;
  },
};
