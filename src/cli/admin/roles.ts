import { isMigratorError } from '@cathouse/migrator/read';
import { ConfigError } from '../../config/config';
import type { UserRole } from '../../db/entities/user.entity';
import { EXIT, UsageError, type CommandContext, type CommandGroup } from './command';

/**
 * `npm run admin -- promote EMAIL` and `demote EMAIL [--role developer]`: the first admin of a new
 * deployment without SQL (issue 11). They connect like `npm run migrate` (MIGRATION_DATABASE_URL,
 * the direct endpoint, or the embedded development database): the runtime's pooled role may be
 * unable to reach a database that has no admin yet, and making an admin is a deploy-time act. The
 * rules and the event are updateUser's (src/auth/accounts/users.ts): the last active admin cannot be demoted,
 * and role_changed is recorded (via cli, no actor) in the same transaction.
 */
function roleGroup(name: 'promote' | 'demote'): CommandGroup {
  return {
    name,
    usage:
      name === 'promote'
        ? '  promote EMAIL                        make the user an admin (over MIGRATION_DATABASE_URL)'
        : '  demote EMAIL [--role ROLE]           take admin away: the user becomes ROLE (player, the default, or developer)',
    options: name === 'demote' ? { role: { type: 'string' } } : {},
    async run(email, ctx) {
      if (!email || ctx.args.length) throw new UsageError(`${name} takes one EMAIL`);
      const asked = ctx.options.role;
      if (asked !== undefined && asked !== 'player' && asked !== 'developer') throw new UsageError(`--role must be player or developer, not ${String(asked)}`);
      const role: UserRole = name === 'promote' ? 'admin' : ((asked as UserRole | undefined) ?? 'player');
      return changeRole(ctx, name, email, role);
    },
  };
}

async function changeRole(ctx: CommandContext, verb: 'promote' | 'demote', email: string, role: UserRole): Promise<number> {
  // TypeORM and the entities load only once the arguments are known to be good.
  /* eslint-disable @typescript-eslint/no-require-imports */
  const { MigrationDataSource } = require('../../db/migration-data-source') as typeof import('../../db/migration-data-source');
  const { setRoleByEmail } = require('../../auth/accounts/users') as typeof import('../../auth/accounts/users');
  /* eslint-enable @typescript-eslint/no-require-imports */
  const dataSource = new MigrationDataSource(ctx.config, undefined, { loadMigrations: false, loadEntities: true });
  try {
    await dataSource.initialize();
  } catch (err) {
    // A pooler or an unreachable URL: one line naming MIGRATION_DATABASE_URL, a configuration error (exit 2) as in migrate.
    if (isMigratorError(err) && err.kind === 'usage') throw new ConfigError('MIGRATION_DATABASE_URL', err.message);
    throw err;
  }
  try {
    const result = await setRoleByEmail(dataSource, email, role, { actorId: null, via: 'cli' });
    const { user } = result;
    ctx.print(
      result,
      result.changed
        ? `${verb === 'promote' ? 'promoted' : 'demoted'} ${user.email} (${user.id}): role ${result.from} -> ${user.role}${user.is_active ? '' : ' (the account is deactivated)'}`
        : `${user.email} (${user.id}) is already ${user.role}: nothing changed`,
    );
    return EXIT.ok;
  } finally {
    await dataSource.destroy();
  }
}

export const promoteGroup = roleGroup('promote');
export const demoteGroup = roleGroup('demote');
