import { EXIT, type CliCommand } from '../command';
import { readStateOrFiles } from './read-state';

/**
 * `branches`: Alembic's branch points. Migrations here form one line by timestamp; what Alembic
 * calls a branch is a merged branch's migration that is older than what the database has
 * applied (out of order). Lists those with the ways out.
 */
export const branchesCommand: CliCommand = {
  name: 'branches',
  usage: ['branches                     merged branches\' migrations older than what is applied (Alembic\'s branch points)'],
  async run(ctx) {
    ctx.expectArgs(0, 'no arguments');
    const { state } = await readStateOrFiles(ctx, { offline: false });
    const branches = state.migrations.filter((m) => m.outOfOrder).map((m) => m.name);
    const lines = branches.length
      ? [
          `${branches.length} migration(s) of a merged branch, older than the applied ${state.current}:`,
          ...branches.map((b) => `  ${b}`),
          'ways out, in order: merge (a merge migration keeps every name: safe on every database), up --allow-out-of-order, or rebase NAME if no database applied it yet',
        ]
      : ['no branches: every pending migration is newer than what is applied'];
    ctx.print({ branches, current: state.current, head: state.head }, lines.join('\n'));
    return branches.length ? EXIT.problem : EXIT.ok;
  },
};
