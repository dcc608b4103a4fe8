import type { RehearsalReport } from '../../rehearsal';
import { EXIT, UsageError, flag, stringOption, type CliCommand } from '../command';
import { formatRehearsal } from '../format/rehearsal';
import { library } from './lazy';

/** `rehearse`: the pending migrations up, down, up on a scratch copy (of the data too), measured. */
export const rehearseCommand: CliCommand = {
  name: 'rehearse',
  usage: [
    'rehearse [--with-data [--max-rows-per-table N]] [--on URL]',
    '                             pending migrations up, down, up on a scratch copy (of the data too), measured:',
    '                             time, ACCESS EXCLUSIVE locks, values destroyed; schema compared with entities',
  ],
  options: { 'with-data': { type: 'boolean' }, 'max-rows-per-table': { type: 'string' }, on: { type: 'string' } },
  async run({ values, io, expectArgs, session, progress, print }) {
    expectArgs(0, 'no arguments');
    const maxRows = stringOption(values, 'max-rows-per-table');
    if (maxRows !== undefined && !/^[1-9]\d*$/.test(maxRows)) throw new UsageError(`--max-rows-per-table takes a positive number, got ${maxRows}`);
    const s = await session();
    const { migrator } = await s.open({ entities: true, onEvent: progress });
    const onUrl = stringOption(values, 'on');
    const on = onUrl === undefined ? undefined : (await s.open({ entities: true, onEvent: progress, url: onUrl })).dataSource;
    // Ctrl-C must not leave the scratch database behind: the first one drops it (ending the
    // step in flight) and lets the report print; a second one exits at once.
    const interrupt = new AbortController();
    const onSignal = () => {
      if (interrupt.signal.aborted) process.exit(130);
      interrupt.abort();
    };
    process.on('SIGINT', onSignal).on('SIGTERM', onSignal);
    let report: RehearsalReport;
    try {
      report = await library().rehearse(migrator, {
        onProgress: (line) => io.err(line),
        signal: interrupt.signal,
        entityGroups: s.entityGroups?.(),
        withData: flag(values, 'with-data'),
        maxRowsPerTable: maxRows === undefined ? undefined : Number(maxRows),
        on,
      });
    } finally {
      process.off('SIGINT', onSignal).off('SIGTERM', onSignal);
    }
    print(report, formatRehearsal(report));
    return report.ok ? EXIT.ok : EXIT.problem;
  },
};
