import { readPrivileges, readState } from '@cathouse/migrator/read';
import { openMigrationReadConnection } from '../../db/migration-connection';
import { MIGRATIONS_DIR, MIGRATION_HISTORY } from '../../db/migration-paths';
import { privilegeSettings } from '../../db/privileges';
import { formatHistory, formatStatus } from '../format';
import { EXIT, type MigrateContext } from './command';

/**
 * `status` and `history`: read-only, over a plain pg connection, so they start without TypeORM,
 * the TypeScript compiler or any migration file.
 */
export async function readCommand({ command, values, config, migrationsDir, print, expectArgs }: MigrateContext): Promise<number> {
  expectArgs(0, 'no arguments');
  const db = await openMigrationReadConnection(config);
  try {
    const state = await readState(db, migrationsDir ?? MIGRATIONS_DIR, MIGRATION_HISTORY);
    if (command === 'history') {
      print(state, formatHistory(state, values.verbose));
      return EXIT.ok;
    }
    const privileges = await readPrivileges(db, privilegeSettings(config));
    print({ ...state, privileges }, formatStatus(state, privileges));
    return state.problems.length || !privileges.ok ? EXIT.problem : EXIT.ok;
  } finally {
    await db.close();
  }
}
