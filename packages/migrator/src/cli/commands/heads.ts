import { EXIT, type CliCommand } from '../command';
import { OFFLINE_OPTION, readStateOrFiles } from './read-state';

/**
 * `heads`: the newest migration of the files (Alembic's `heads`), from the files alone. With the
 * database, a pending migration older than what is applied (a merged branch) is listed too:
 * Alembic would show it as a second head.
 */
export const headsCommand: CliCommand = {
  name: 'heads',
  usage: ['heads [--offline]            the head revision (and merged branches not applied yet, with the database)'],
  options: OFFLINE_OPTION,
  async run(ctx) {
    ctx.expectArgs(0, 'no arguments');
    const { state, offline } = await readStateOrFiles(ctx, { offline: true });
    const branches = offline ? [] : state.migrations.filter((m) => m.outOfOrder).map((m) => m.name);
    const lines = [state.head ? `${state.head} (head)` : '(no migrations)'];
    for (const b of branches) lines.push(`${b} (a merged branch's, pending and older than the applied ${state.current}: merge, or up --allow-out-of-order)`);
    ctx.print({ heads: [state.head, ...branches].filter(Boolean), head: state.head, branches, offline: offline !== null }, lines.join('\n'));
    return EXIT.ok;
  },
};
