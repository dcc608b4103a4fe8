import { nothingAnswered } from '../../errors';
import { readHistory } from '../../history';
import { listMigrations, loadMigration, type MigrationFile } from '../../migration-files';
import { computeState, type MigrationState } from '../../migration-state';
import { flag, type CommandContext, type OptionSpec, type ReadSession } from '../command';

/**
 * The state the read-only commands show: files compared with the database's history, or, with
 * --offline or when the database cannot be reached, the files alone (Alembic's `history` and
 * `heads` need no database either: a DBA hand-off, a CI job without credentials).
 */
export interface StateRead {
  readonly files: readonly MigrationFile[];
  readonly state: MigrationState;
  /** Why the database was not read (`--offline`, or the connection error), or null when it was. */
  readonly offline: string | null;
}

export const OFFLINE_OPTION: Readonly<Record<string, OptionSpec>> = {
  offline: { type: 'boolean', help: '--offline   history, heads, show and a FROM:TO --sql range from the files alone, without a database' },
};

/**
 * Reads the state. `offline`: the command can work from the files alone (--offline, or as a
 * fallback when the database cannot be reached, said on stderr). `use` gets the open read session
 * too (status reads the privileges through it).
 */
export async function readStateOrFiles(
  ctx: CommandContext,
  { offline }: { offline: boolean },
  use?: (read: ReadSession, state: StateRead) => Promise<void>,
): Promise<StateRead> {
  const s = await ctx.session();
  const filesOnly = async (reason: string): Promise<StateRead> => {
    const files = await listMigrations(s.migrations);
    return { files, state: computeState(files, []), offline: reason };
  };
  if (offline && flag(ctx.values, 'offline')) return filesOnly('--offline');
  let read: ReadSession;
  try {
    read = await s.openRead();
  } catch (err) {
    if (!offline || !nothingAnswered(err)) throw err;
    ctx.io.err(`note: ${err.message}`);
    ctx.io.err('note: showing the migration files alone: whether each is applied is not known (--offline says so without trying)');
    return filesOnly(err.message);
  }
  try {
    const files = await listMigrations(s.migrations);
    const result = { files, state: computeState(files, await readHistory(read.db, read.history)), offline: null };
    await use?.(read, result);
    return result;
  } finally {
    await read.close();
  }
}

/** A pending migration that cannot be loaded: `up` would fail on it, so `status` says so now. */
export interface BrokenFile {
  readonly migration: string;
  readonly file: string;
  readonly message: string;
}

/**
 * Loads each pending migration (only those: the applied ones ran already, and a database at
 * head loads nothing, so `status` stays fast). A file that does not compile is a problem found.
 */
export async function brokenPendingFiles(files: readonly MigrationFile[], state: MigrationState): Promise<BrokenFile[]> {
  const broken: BrokenFile[] = [];
  for (const f of files.filter((x) => state.pending.includes(x.name))) {
    try {
      await loadMigration(f);
    } catch (err) {
      broken.push({ migration: f.name, file: f.file, message: String((err as Error)?.message ?? err).split('\n')[0]! });
    }
  }
  return broken;
}
