import path from 'node:path';
import type { Migrator } from '@cathouse/migrator';
import { formatRun, formatStamp } from '../format';
import { EXIT, UsageError, lazy, type MigrateContext } from './command';

// Commands that move the history: up, down, stamp, and rebase (a pending migration's new timestamp).

/** `FROM:TO` (Alembic's range form of the SQL preview), e.g. `base:head` or `1795:base`. */
function splitRange(arg: string | undefined): { from?: string; to?: string } {
  if (arg === undefined || !arg.includes(':')) return { to: arg };
  const [from, to, ...more] = arg.split(':');
  if (more.length || !from || !to) throw new UsageError(`"${arg}" is not a range: write FROM:TO, e.g. base:head`);
  return { from, to };
}

export async function upCommand({ args, values, print, expectArgs }: MigrateContext, migrator: Migrator): Promise<number> {
  expectArgs(1, 'at most one TARGET or +N');
  const { from, to: arg } = splitRange(args[0]);
  const plus = arg && /^\+\d+$/.test(arg) ? Number(arg.slice(1)) : undefined;
  const result = await migrator.up({
    target: plus === undefined && arg !== 'head' ? arg : undefined,
    from,
    steps: plus,
    dryRun: values.sql,
    allowOutOfOrder: values['allow-out-of-order'],
  });
  print(result, formatRun(result));
  return result.error ? EXIT.problem : EXIT.ok;
}

export async function downCommand({ args, values, steps, print, expectArgs }: MigrateContext, migrator: Migrator): Promise<number> {
  expectArgs(1, 'at most one -N, TARGET or base');
  if (steps !== undefined && args.length) throw new UsageError('down takes either -N or a TARGET, not both');
  // A bare number is a timestamp prefix (a TARGET), as in Alembic; steps are always -N.
  const { from, to } = splitRange(args[0]);
  const result = await migrator.down({ steps, target: to, from, dryRun: values.sql });
  print(result, formatRun(result));
  return result.error ? EXIT.problem : EXIT.ok;
}

export async function stampCommand({ args, print, expectArgs }: MigrateContext, migrator: Migrator): Promise<number> {
  expectArgs(1, 'one TARGET, head or base');
  if (!args[0]) throw new UsageError('stamp needs TARGET, head or base');
  const result = await migrator.stamp(args[0]);
  print(result, formatStamp(result));
  return EXIT.ok;
}

export async function rebaseCommand({ args, print, expectArgs }: MigrateContext, migrator: Migrator): Promise<number> {
  expectArgs(1, 'one NAME');
  if (!args[0]) throw new UsageError('rebase needs the NAME (or a unique prefix) of a pending migration');
  const rebased = await lazy.migrator().rebaseMigration(migrator, args[0]);
  print(
    rebased,
    `rebased ${rebased.from.name} to ${rebased.to.name}: ${path.relative(process.cwd(), rebased.to.file)} now follows ${rebased.after}; ` +
      'commit the renamed file',
  );
  return EXIT.ok;
}
