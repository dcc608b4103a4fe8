import type { CapturedStatement } from '../../sql-capture';
import { resolveTarget } from '../../targets';
import { EXIT, UsageError, type CliCommand } from '../command';
import { rel } from '../format/units';
import { library } from './lazy';
import { OFFLINE_OPTION, readStateOrFiles } from './read-state';

/**
 * `show REV`: one migration, as Alembic's `show` prints a revision: its name, the one before it,
 * its file, whether the database has it, and the SQL of its up() and down() (built without a
 * database; a migration that reads the database says so).
 */
export const showCommand: CliCommand = {
  name: 'show',
  usage: ['show REV [--offline]         one migration: the one before it, its file, applied or not, the SQL of up() and down()'],
  options: OFFLINE_OPTION,
  async run(ctx) {
    ctx.expectArgs(1, 'one REV (a TARGET, head, head-1, ...)');
    if (!ctx.args[0]) throw new UsageError('show needs a REV: a migration name or prefix, head, head-1, base+1');
    const { files, state, offline } = await readStateOrFiles(ctx, { offline: true });
    const file = resolveTarget(ctx.args[0], files);
    const index = files.indexOf(file);
    const entry = state.migrations.find((m) => m.name === file.name)!;
    const sql = await library().migrationStatements(file);
    // Loaded here, with the migration: the SQL renderer comes with TypeORM, which other commands need not load.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { renderStatement } = require('../../sql-capture') as typeof import('../../sql-capture');
    const applied = offline
      ? 'unknown (without the database)'
      : entry.applied
        ? `yes${entry.appliedAt ? `, ${entry.appliedAt.toISOString()} by ${entry.appliedBy ?? '?'} via ${entry.via ?? '?'}` : ''}`
        : 'no (pending)';
    const block = (what: CapturedStatement[] | string) => (typeof what === 'string' ? [`      -- ${what}`] : what.length ? what.map((s) => `      ${renderStatement(s)}`) : ['      -- (no statement)']);
    const lines = [
      `Rev: ${file.name}${file.name === state.head ? ' (head)' : ''}${file.name === state.current ? ' (current)' : ''}`,
      `Parent: ${index > 0 ? files[index - 1]!.name : '<base>'}`,
      `Path: ${rel(file.file)}`,
      `Applied: ${applied}`,
      `Transaction: ${sql.transaction ? 'yes (its own, unless up runs them all in one)' : 'no (transaction = false)'}`,
      '',
      '    up():',
      ...block(sql.up),
      '    down():',
      ...block(sql.down),
    ];
    ctx.print(
      { name: file.name, parent: index > 0 ? files[index - 1]!.name : null, file: file.file, applied: offline ? null : entry.applied, transaction: sql.transaction, up: sql.up, down: sql.down },
      lines.join('\n'),
    );
    return EXIT.ok;
  },
};
