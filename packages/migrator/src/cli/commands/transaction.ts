import type { TransactionMode } from '../../migration-run';
import { UsageError, flag, stringOption, type OptionSpec, type OptionValues } from '../command';

/** The transaction options of up and down: TypeORM's `-t all|each|none`, and Alembic-style --single-transaction. */
export const TRANSACTION_OPTIONS: Readonly<Record<string, OptionSpec>> = {
  transaction: {
    type: 'string',
    short: 't',
    help: "-t, --transaction all|each|none   one transaction for the run, one per migration, or none (default: the DataSource's migrationsTransactionMode, else each)",
  },
  'single-transaction': { type: 'boolean', help: '--single-transaction   the same as --transaction all: a failure leaves the database as it was' },
};

export function transactionMode(values: OptionValues): TransactionMode | undefined {
  const given = stringOption(values, 'transaction');
  const single = flag(values, 'single-transaction');
  if (given !== undefined && !['all', 'each', 'none'].includes(given)) {
    throw new UsageError(`--transaction takes all, each or none, got ${given}`);
  }
  if (single && given !== undefined && given !== 'all') throw new UsageError(`--single-transaction is --transaction all; it cannot go with --transaction ${given}`);
  return single ? 'all' : (given as TransactionMode | undefined);
}
