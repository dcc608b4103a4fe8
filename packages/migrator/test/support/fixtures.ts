import { randomBytes } from 'node:crypto';
import { copyFileSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { MigrationDataSource, type MigrationSettings, type PostgresOptions } from '../../src';

export const FIXTURES = path.resolve(__dirname, '../fixtures');
// Inside the repository (the gitignored scratch/) so the copies resolve `typeorm` from node_modules.
const SCRATCH = path.resolve(__dirname, '../../../../scratch/migrator-package-tests');

export interface MigrationsDir {
  readonly dir: string;
  /** Copies more fixture migrations in (e.g. a merged branch). */
  add(...sets: string[]): void;
  remove(): void;
}

/** A fresh migrations directory holding the fixture migrations of the named sets (`basic`, `slow`, ...). */
export function migrationsDir(...sets: string[]): MigrationsDir {
  const dir = path.join(SCRATCH, randomBytes(6).toString('hex'));
  mkdirSync(dir, { recursive: true });
  const add = (...more: string[]) => {
    for (const set of more) {
      for (const f of readdirSync(path.join(FIXTURES, set))) copyFileSync(path.join(FIXTURES, set, f), path.join(dir, f));
    }
  };
  add(...sets);
  return { dir, add, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export const TIMEOUTS = { lockTimeoutMs: 60_000, ddlLockTimeoutMs: 5_000, statementTimeoutMs: 0 };

/** A MigrationDataSource over `url` with no entities, as a project using only the package would build it. */
export function fixtureDataSource(url: string, settings: Partial<MigrationSettings> & { migrationsDir: string }, options: Partial<PostgresOptions> = {}): MigrationDataSource {
  return new MigrationDataSource({ type: 'postgres', url, entities: [], migrations: [], logging: false, ...options }, { timeouts: TIMEOUTS, ...settings });
}
