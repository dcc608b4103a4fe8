import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { nothingAnswered } from '../../errors';
import { DEFAULT_HISTORY } from '../../history';
import type { Direction, RunResult } from '../../run-result';
import { UsageError, flag, stringOption, type CommandContext, type OptionSpec } from '../command';
import { library } from './lazy';
import { OFFLINE_OPTION } from './read-state';

/**
 * Where the SQL of `--sql` goes: stdout, or a file (`--output FILE`, so no wrapper such as npm can
 * put a banner into the script), and the range form's SQL from the files alone when the database
 * is out of reach (--offline).
 */
export const SQL_OPTIONS: Readonly<Record<string, OptionSpec>> = {
  output: { type: 'string', short: 'o', help: '-o, --output FILE   write the --sql script to FILE (nothing else goes into it)' },
  ...OFFLINE_OPTION,
};

/** Prints `text` (a --sql script), or writes it to --output FILE and says so on stderr. */
export function emitSql(ctx: CommandContext, value: unknown, text: string, summary: string): void {
  const file = stringOption(ctx.values, 'output');
  if (file === undefined) {
    ctx.print(value, text);
    return;
  }
  writeFileSync(path.resolve(file), text.endsWith('\n') ? text : `${text}\n`);
  ctx.io.err(`wrote ${summary} to ${file}`);
  if (ctx.json) ctx.print(value, text);
}

/** --output without --sql has nothing to write. */
export function refuseOutputWithoutSql(ctx: CommandContext): void {
  if (stringOption(ctx.values, 'output') !== undefined && !flag(ctx.values, 'sql')) {
    throw new UsageError('--output FILE takes the --sql script: add --sql');
  }
}

/**
 * The range form's script from the files alone (--offline, or the database unreachable, said on
 * stderr): what the database's state is not needed for. Returns null to go on online.
 */
export async function offlineRange(ctx: CommandContext, direction: Direction, from: string | undefined, to: string | undefined): Promise<{ result: RunResult; text: string } | null> {
  if (from === undefined || !flag(ctx.values, 'sql')) return null;
  const s = await ctx.session();
  if (!flag(ctx.values, 'offline')) {
    try {
      await s.open({ entities: false, onEvent: ctx.progress });
      return null;
    } catch (err) {
      if (!nothingAnswered(err)) throw err;
      ctx.io.err(`note: ${err.message}`);
      ctx.io.err('note: the range is written from the files alone (privileges left out)');
    }
  }
  const preview = await library().previewRangeOffline({
    source: s.migrations,
    direction,
    from,
    to: to ?? (direction === 'up' ? 'head' : 'base'),
    history: s.history ?? DEFAULT_HISTORY,
  });
  const result: RunResult = { direction, dryRun: true, results: preview.results, adopted: [], lockWaitedMs: 0, durationMs: 0, sql: preview.sql };
  return { result, text: preview.sql.trimEnd() };
}
