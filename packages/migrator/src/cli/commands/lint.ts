import path from 'node:path';
import { EXIT, type CliCommand } from '../command';
import { formatLint } from '../format/lint';
import { library } from './lazy';

/** `lint [FILE...]`: unsafe or destructive changes (default: the pending migrations, which needs the database). */
export const lintCommand: CliCommand = {
  name: 'lint',
  usage: ['lint [FILE...]               unsafe or destructive changes (default: pending migrations)'],
  async run({ args, session, progress, print }) {
    const files = args.length ? args.map((a) => path.resolve(a)) : undefined;
    const s = await session();
    const report = await library().lintMigrations({
      migrationsDir: s.migrations,
      files,
      config: s.lintConfig,
      migrator: files ? undefined : (await s.open({ entities: false, onEvent: progress })).migrator,
    });
    print(report, formatLint(report));
    return report.errors > 0 ? EXIT.problem : EXIT.ok;
  },
};
