import type { RehearsalReport } from '../../rehearsal';
import { EXIT, UsageError, flag, stringOption, type CliCommand } from '../command';
import { formatRehearsal } from '../format/rehearsal';
import { library } from './lazy';

/** `rehearse`: the pending migrations up, down, up on a scratch copy (of the data too), measured. */
export const rehearseCommand: CliCommand = {
  name: 'rehearse',
  usage: [
    'rehearse [--with-data [--max-rows-per-table N]] [--on URL | --neon [--keep]]',
    '                             pending migrations up, down, up on a scratch copy (of the data too), measured:',
    '                             time, ACCESS EXCLUSIVE locks, values destroyed; schema compared with entities;',
    '                             statements on tables the database says are large named with their time on the copy',
    '                             --neon: on a Neon branch of the database (made and deleted through Neon\'s API; --keep leaves it)',
  ],
  options: {
    'with-data': { type: 'boolean' },
    'max-rows-per-table': { type: 'string' },
    on: { type: 'string' },
    neon: { type: 'boolean' },
    keep: { type: 'boolean' },
  },
  async run({ values, io, expectArgs, session, progress, print }) {
    expectArgs(0, 'no arguments');
    const maxRows = stringOption(values, 'max-rows-per-table');
    if (maxRows !== undefined && !/^[1-9]\d*$/.test(maxRows)) throw new UsageError(`--max-rows-per-table takes a positive number, got ${maxRows}`);
    const onUrl = stringOption(values, 'on');
    const neon = flag(values, 'neon');
    if (neon && (onUrl !== undefined || flag(values, 'with-data'))) throw new UsageError('--neon makes the branch itself, with the data: leave out --on and --with-data');
    if (flag(values, 'keep') && !neon) throw new UsageError('--keep applies to --neon (a scratch database is always dropped; --on keeps its database anyway)');
    const s = await session();
    if (neon) {
      if (!s.neon) throw new UsageError('this CLI cannot make Neon branches; rehearse --on URL a branch you made');
      const target = s.neon();
      const report = await withInterrupt((signal) =>
        library().rehearseOnNeonBranch(
          async () => (await s.open({ entities: true, onEvent: progress })).migrator,
          async (url) => (await s.open({ entities: true, onEvent: progress, url })).dataSource,
          target,
          { onProgress: (line) => io.err(line), signal, entityGroups: s.entityGroups?.(), keep: flag(values, 'keep'), lintConfig: s.lintConfig },
        ),
      );
      print(report, formatRehearsal(report));
      return report.ok ? EXIT.ok : EXIT.problem;
    }
    const { migrator } = await s.open({ entities: true, onEvent: progress });
    const on = onUrl === undefined ? undefined : (await s.open({ entities: true, onEvent: progress, url: onUrl })).dataSource;
    const report: RehearsalReport = await withInterrupt((signal) =>
      library().rehearse(migrator, {
        onProgress: (line) => io.err(line),
        signal,
        entityGroups: s.entityGroups?.(),
        withData: flag(values, 'with-data'),
        maxRowsPerTable: maxRows === undefined ? undefined : Number(maxRows),
        on,
        lintConfig: s.lintConfig,
      }),
    );
    print(report, formatRehearsal(report));
    return report.ok ? EXIT.ok : EXIT.problem;
  },
};

/**
 * Ctrl-C must not leave the scratch database behind: the first one drops it (ending the step in
 * flight) and lets the report print; a second one exits at once.
 */
async function withInterrupt<T>(fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const interrupt = new AbortController();
  const onSignal = () => {
    if (interrupt.signal.aborted) process.exit(130);
    interrupt.abort();
  };
  process.on('SIGINT', onSignal).on('SIGTERM', onSignal);
  try {
    return await fn(interrupt.signal);
  } finally {
    process.off('SIGINT', onSignal).off('SIGTERM', onSignal);
  }
}
