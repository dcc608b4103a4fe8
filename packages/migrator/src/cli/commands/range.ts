import { UsageError } from '../command';

/** `FROM:TO` (Alembic's range form of the SQL preview), e.g. `base:head` or `1795:base`. */
export function splitRange(arg: string | undefined): { from?: string; to?: string } {
  if (arg === undefined || !arg.includes(':')) return { to: arg };
  const [from, to, ...more] = arg.split(':');
  if (more.length || !from || !to) throw new UsageError(`"${arg}" is not a range: write FROM:TO, e.g. base:head`);
  return { from, to };
}
