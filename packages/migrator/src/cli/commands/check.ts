import { EXIT, type CliCommand } from '../command';
import { formatCheck } from '../format/check';
import { library } from './lazy';

/** `check`: the CI gate (pending, drift from the entities, checksum and history problems, privileges). */
export const checkCommand: CliCommand = {
  name: 'check',
  usage: ['check                        CI gate: pending, drift, checksum and history problems'],
  async run({ expectArgs, session, progress, print, host }) {
    expectArgs(0, 'no arguments');
    const s = await session();
    const { migrator } = await s.open({ entities: true, onEvent: progress });
    const report = await library().checkDatabase(migrator, { entityGroups: s.entityGroups?.() });
    print(report, formatCheck(report, host));
    return report.ok ? EXIT.ok : EXIT.problem;
  },
};
