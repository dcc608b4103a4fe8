import { EXIT, type CliCommand } from '../command';
import { readStateOrFiles } from './read-state';

/**
 * `current`: the database's revision on one line, as Alembic's `current` prints it
 * (`Name1700000000000 (head)`), for scripts that read it. Exit 0 whenever it could be read: a
 * pending migration, drift or a history problem is `status`'s to report.
 */
export const currentCommand: CliCommand = {
  name: 'current',
  usage: ['current                      the current revision, one line (Alembic\'s current); status has the rest'],
  async run(ctx) {
    ctx.expectArgs(0, 'no arguments');
    const { state } = await readStateOrFiles(ctx, { offline: false });
    const atHead = state.current !== null && state.current === state.head;
    const known = state.current === null || state.migrations.some((m) => m.name === state.current && m.file !== null);
    const text =
      state.current === null
        ? '(base: nothing applied)'
        : `${state.current}${atHead ? ' (head)' : known ? '' : ' (no migration file defines it: the database is ahead of these files)'}`;
    ctx.print({ current: state.current, head: state.head, atHead, pending: state.pending.length }, text);
    return EXIT.ok;
  },
};
