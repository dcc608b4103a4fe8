import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { MigrationInterface } from 'typeorm';
import { MigratorError } from './errors';

/** A migration as found on disk: what `status` needs, without loading (compiling) the file. */
export interface MigrationFile {
  /** TypeORM's name for it: the class name, ending in its 13-digit timestamp. */
  readonly name: string;
  readonly timestamp: number;
  /** Absolute path of the source file. */
  readonly file: string;
  /** sha256 of the source (line endings normalized), recorded when it is applied. */
  readonly checksum: string;
  readonly source: string;
}

const MIGRATION_FILE = /^\d{13}-.+\.(ts|js)$/;
// The class name is read from the source text rather than by loading the module, so that
// `status` costs one file read per migration, not one compilation (typeorm/typeorm#4136).
const EXPORTED_CLASS = /export\s+class\s+([A-Za-z_$][\w$]*\d{13})\b/;

export function checksumOf(source: string): string {
  return createHash('sha256').update(source.replace(/\r\n/g, '\n')).digest('hex');
}

/** Reads every migration file of `dir`, sorted by timestamp. Throws naming a file it cannot understand. */
export function readMigrationFiles(dir: string): MigrationFile[] {
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch (err) {
    throw new MigratorError('invalid_config', `migrations directory ${dir} cannot be read: ${(err as Error).message}`, {}, { cause: err });
  }
  const files = entries
    .filter((f) => MIGRATION_FILE.test(f) && !f.endsWith('.d.ts'))
    .map((f): MigrationFile => {
      const file = path.join(dir, f);
      const source = readFileSync(file, 'utf8');
      const match = EXPORTED_CLASS.exec(source);
      if (!match) {
        throw new MigratorError(
          'invalid_migration_file',
          `${file}: no exported migration class whose name ends in a 13-digit timestamp (e.g. "export class AddRateLimits1795600000000"); write migrations with \`npm run migrate -- create NAME\``,
          { file },
        );
      }
      const name = match[1]!;
      return { name, timestamp: Number(name.slice(-13)), file, checksum: checksumOf(source), source };
    })
    .sort((a, b) => a.timestamp - b.timestamp || a.name.localeCompare(b.name));
  const seen = new Map<string, string>();
  for (const m of files) {
    const other = seen.get(m.name);
    if (other) {
      throw new MigratorError('invalid_migration_file', `migration ${m.name} is defined twice: ${other} and ${m.file}; rename one`, {
        file: m.file,
      });
    }
    seen.set(m.name, m.file);
  }
  return files;
}

type MigrationClass = new () => MigrationInterface;

/**
 * Loads (compiles, through the registered TypeScript loader) one migration file and returns an
 * instance of its class. Only the migrations a command runs are loaded.
 */
export function loadMigration(migration: MigrationFile): MigrationInterface {
  let exports: Record<string, unknown>;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    exports = require(migration.file);
  } catch (err) {
    throw new MigratorError('invalid_migration_file', `${migration.file} cannot be loaded: ${(err as Error).message}`, { file: migration.file }, { cause: err });
  }
  const cls = Object.values(exports).find(
    (v): v is MigrationClass => typeof v === 'function' && (v as { name?: string }).name === migration.name,
  );
  if (!cls) {
    throw new MigratorError('invalid_migration_file', `${migration.file} does not export class ${migration.name}`, { file: migration.file });
  }
  const instance = new cls();
  // TypeORM records `instance.name` when set: it must be the class name the history is keyed by.
  if (instance.name !== undefined && instance.name !== migration.name) {
    throw new MigratorError(
      'invalid_migration_file',
      `${migration.file}: class ${migration.name} declares name = '${instance.name}'; make them equal (TypeORM records the name)`,
      { file: migration.file },
    );
  }
  return instance;
}
