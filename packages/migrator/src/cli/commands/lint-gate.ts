import { MigratorError } from '../../errors';
import type { Migrator, UpOptions } from '../../migrator';
import { planUp } from '../../migration-plan';
import { flag, type CommandContext, type OptionSpec } from '../command';
import { library } from './lazy';

export const LINT_GATE_OPTION: Readonly<Record<string, OptionSpec>> = {
  'allow-lint-errors': { type: 'boolean', help: '--allow-lint-errors   up applies migrations with unacknowledged error-level lint findings' },
};

/**
 * `up` refuses to apply a migration this database (one with migrations applied) has not applied
 * when the lint finds an unacknowledged error in it (a drop, a type change that empties a column, a lock on a large
 * table...): what generate printed and a reviewer may have missed. Only the migrations this run
 * would apply are linted; nothing pending, nothing loaded. --allow-lint-errors overrides.
 */
export async function lintGate(ctx: CommandContext, migrator: Migrator, opts: UpOptions): Promise<void> {
  if (opts.dryRun || flag(ctx.values, 'allow-lint-errors')) return;
  const files = await migrator.migrations();
  const state = await migrator.status(files);
  if (!state.pending.length) return;
  // A database with nothing applied (a new one, CI's, a test's) holds nothing a lock could block or a
  // drop could lose: a history whose old migrations build indexes without CONCURRENTLY still applies.
  // A file that does not load is refused there too: the same exit 1 as status, history and lint.
  const fresh = state.current === null;
  let chosen;
  try {
    chosen = planUp(opts, state, files);
  } catch {
    return; // up itself refuses the same plan, with its own message
  }
  if (!chosen.length) return;
  const linted = chosen.filter((f) => !f.file.startsWith('<'));
  const s = await ctx.session();
  // Fresh, only cannot-load counts, so only that is looked for: the full lint parses every
  // statement of every migration (the whole history, on a new database) to find what is ignored here.
  const findings = fresh
    ? await library().loadFindings(linted)
    : (await library().lintMigrations({ migrationsDir: s.migrations, files: linted.map((f) => f.file), config: s.lintConfig, database: migrator.dataSource })).findings;
  const open = findings.filter((f) => !f.acknowledged && f.severity === 'error' && (!fresh || f.rule === 'cannot-load'));
  if (!open.length) return;
  const first = open[0]!;
  throw new MigratorError(
    'lint_failed',
    `refusing to apply: ${open.length} unacknowledged error-level lint finding(s) in ${[...new Set(open.map((f) => f.migration))].join(', ')}, ` +
      `first ${first.rule}: ${first.detail} (migrator lint shows each, with the safe alternative); fix them, acknowledge them in the migration ` +
      '(// migration-lint-ack: RULE [OBJECT] -- REASON), or apply anyway with up --allow-lint-errors',
    { findings: open },
  );
}
