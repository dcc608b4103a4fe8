import path from 'node:path';
import type { DataSource } from 'typeorm';
import { connectionError } from '../connection';
import { resolveHistory } from '../history-location';
import { sourceFolder, type MigrationSource } from '../migration-files';
import type { SessionTimeouts } from '../migration-lock';
import type { Migrator } from '../migrator';
import { UsageError, stringOption, type CliHost, type HostSession, type OpenOptions, type OpenedSource, type OptionValues } from './command';
import { loadDataSourceFile } from './data-source-file';
import { neonFromEnvironment } from './neon-environment';

/**
 * The host of the `migrator` bin: everything comes from the user's own TypeORM DataSource file
 * (`--data-source`, TypeORM's `-d`), and nothing of any one application. The DataSource's
 * connection options, migrations and history table are used as TypeORM itself would use them.
 */
export function dataSourceHost(): CliHost {
  return {
    invocation: 'migrator',
    options: {
      'data-source': { type: 'string', short: 'd', help: "-d, --data-source FILE   the file that exports your TypeORM DataSource (TypeORM's -d)" },
      dir: { type: 'string', help: '--dir DIR   the folder create and generate write to (default: the DataSource\'s migrations folder)' },
      'lock-timeout': { type: 'string', help: '--lock-timeout MS   how long to wait for another run\'s migration lock (default 60000; 0 forever)' },
      'ddl-lock-timeout': { type: 'string', help: '--ddl-lock-timeout MS   lock_timeout of each statement (default 5000)' },
      'statement-timeout': { type: 'string', help: '--statement-timeout MS   statement_timeout of the session (default 0: none)' },
    },
    usageNotes: ['the database, the migrations and the history table are the DataSource\'s, as the TypeORM CLI uses them'],
    session: (values) => dataSourceSession(values),
  };
}

async function dataSourceSession(values: OptionValues): Promise<HostSession> {
  const file = stringOption(values, 'data-source');
  if (!file) throw new UsageError('give your DataSource file: --data-source path/to/data-source.js');
  const timeouts = timeoutsOf(values);
  const dataSource = await loadDataSourceFile(file);
  const dir = stringOption(values, 'dir');
  const migrations: MigrationSource = dir ? path.resolve(dir) : { migrations: dataSource.options.migrations ?? [] };
  const migrationsDir = dir ? path.resolve(dir) : (sourceFolder(migrations) ?? path.resolve('migrations'));
  const opened: DataSource[] = [];
  const open = async ({ onEvent, url }: OpenOptions): Promise<OpenedSource> => {
    const ds = url ? otherDatabase(dataSource, url) : dataSource;
    if (!ds.isInitialized) {
      const url = urlOf(ds);
      try {
        await ds.initialize();
      } catch (err) {
        throw connectionError(err, url, url === (ds.options as { url?: string }).url ? 'the DataSource url' : 'the DataSource');
      }
      opened.push(ds);
    }
    return { dataSource: ds, migrator: await migratorOf(ds, migrations, timeouts, onEvent) };
  };
  return {
    migrations,
    migrationsDir,
    history: resolveHistory(dataSource),
    neon: () => neonFromEnvironment(dataSource),
    async openRead() {
      const { migrator } = await open({ entities: false, onEvent: () => undefined });
      const runner = migrator.dataSource.createQueryRunner();
      return { db: runner, history: migrator.history, close: () => runner.release() };
    },
    open,
    async close() {
      for (const ds of opened.splice(0)) await ds.destroy().catch(() => undefined);
    },
  };
}

async function migratorOf(ds: DataSource, migrations: MigrationSource, timeouts: SessionTimeouts, onEvent: OpenOptions['onEvent']): Promise<Migrator> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { Migrator, MigrationDataSource } = require('../index') as typeof import('../index');
  if (ds instanceof MigrationDataSource) return ds.migrator('migrator', onEvent);
  return new Migrator({ dataSource: ds, migrations, timeouts, via: 'migrator', onEvent });
}

/** The same DataSource options on another database (rehearse --on URL). */
function otherDatabase(ds: DataSource, url: string): DataSource {
  const Make = Object.getPrototypeOf(ds).constructor as new (options: DataSource['options']) => DataSource;
  return new Make({ ...ds.options, url } as DataSource['options']);
}

/** The DataSource's URL, or one built from its host, port and database, for one-line connection errors (password left out). */
function urlOf(ds: DataSource): string {
  const o = ds.options as { url?: string; host?: string; port?: number; database?: string; username?: string };
  return o.url ?? `postgres://${o.username ? `${encodeURIComponent(o.username)}@` : ''}${o.host ?? 'localhost'}:${o.port ?? 5432}/${o.database ?? ''}`;
}

function timeoutsOf(values: OptionValues): SessionTimeouts {
  const ms = (name: string, fallback: number) => {
    const v = stringOption(values, name);
    if (v === undefined) return fallback;
    if (!/^\d+$/.test(v)) throw new UsageError(`--${name} takes milliseconds (a whole number), got ${v}`);
    return Number(v);
  };
  return {
    lockTimeoutMs: ms('lock-timeout', 60_000),
    ddlLockTimeoutMs: ms('ddl-lock-timeout', 5_000),
    statementTimeoutMs: ms('statement-timeout', 0),
    lockTimeoutName: '--lock-timeout',
  };
}
