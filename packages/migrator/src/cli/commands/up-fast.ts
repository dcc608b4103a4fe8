import { legacyHistory } from '../../history';
import { readPrivileges } from '../../privileges/apply';
import type { RunResult } from '../../run-result';
import type { CommandContext } from '../command';
import { readStateOrFiles } from './read-state';

/**
 * `up` with nothing to do, answered over the plain read connection, without loading TypeORM (a
 * deploy's everyday case, and what Alembic's `upgrade head` is measured on): nothing pending, no
 * history problem, no checksum to adopt, the history where it belongs, and, with a policy, the
 * privileges as it says. Anything else returns null and `up` runs as usual, under the lock. Read
 * without the lock it is still right: a run in progress has not committed its history rows, so
 * its migrations look pending here and this path is not taken.
 */
export async function upWithNothingToDo(ctx: CommandContext): Promise<RunResult | null> {
  const started = performance.now();
  let result: RunResult | null = null;
  await readStateOrFiles(ctx, { offline: false }, async (read, { state }) => {
    const settled = state.migrations.every((m) => m.checksum !== 'unrecorded' && m.checksum !== 'legacy');
    if (state.pending.length || state.problems.length || !settled || (await legacyHistory(read.db, read.history))) return;
    const report = read.privileges ? await readPrivileges(read.db, read.privileges) : null;
    if (report && !report.ok) return;
    result = {
      direction: 'up',
      dryRun: false,
      results: [],
      adopted: [],
      lockWaitedMs: 0,
      durationMs: performance.now() - started,
      privileges: report ? { ...report, createdRoles: [], statements: [] } : undefined,
    };
  });
  return result;
}
