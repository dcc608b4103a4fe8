import path from 'node:path';
import { EXIT, stringOption, type CliCommand } from '../command';
import { library } from './lazy';

/**
 * `merge [REV...] [-m MSG]`: Alembic's merge. Writes a migration after the head that names the
 * merged branch's migrations (by default those the database has pending out of order); they keep
 * their names, so every database, whichever it applied first, ends the same.
 */
export const mergeCommand: CliCommand = {
  name: 'merge',
  usage: ["merge [REV...] [-m MSG]      a merge migration for a merged branch's out-of-order migrations (Alembic's merge)"],
  options: { message: { type: 'string', short: 'm', help: '-m, --message MSG   the new migration\'s name (merge, revision)' } },
  async run({ args, values, session, progress, print }) {
    const { migrator } = await (await session()).open({ entities: false, onEvent: progress });
    // Alembic's `merge heads` (or `merge -m "merge heads" head1 head2`) names heads: here the default does.
    const revisions = args.filter((a) => a !== 'heads');
    const merged = await library().mergeMigrations(migrator, { revisions, message: stringOption(values, 'message') });
    print(
      merged,
      `created ${path.relative(process.cwd(), merged.file)} (${merged.name}), merging ${merged.merges.join(', ')}: ` +
        'they keep their names and up applies them where they are missing; commit the file',
    );
    return EXIT.ok;
  },
};
