import { randomBytes } from 'node:crypto';
import { copyFileSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';

/** The migrator package's fixture migrations (kittens and toys: not the Cat House schema). */
export const FIXTURES = path.resolve(__dirname, '../../../packages/migrator/test/fixtures');
// Inside the repository (gitignored scratch/) so the copies resolve `typeorm` from node_modules.
const SCRATCH = path.resolve(__dirname, '../../../scratch/migrator-tests');

export interface MigrationsDir {
  readonly dir: string;
  /** Copies more fixture migrations in (e.g. a merged branch). */
  add(...sets: string[]): void;
  remove(): void;
}

const PROJECT_MIGRATIONS = path.resolve(__dirname, '../../../src/migrations');

/** A copy of this project's migrations (src/migrations) plus fixture sets, for commands that write files. */
export function projectMigrationsDir(...sets: string[]): MigrationsDir {
  const copy = migrationsDir(...sets);
  for (const f of readdirSync(PROJECT_MIGRATIONS)) {
    if (/^\d{13}-.*\.ts$/.test(f)) copyFileSync(path.join(PROJECT_MIGRATIONS, f), path.join(copy.dir, f));
  }
  return copy;
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
