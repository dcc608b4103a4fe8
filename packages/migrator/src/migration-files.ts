import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { MigrationInterface } from 'typeorm';
import { MigratorError } from './errors';

/** A migration as found on disk: what `status` needs, without loading (compiling) the file. */
export interface MigrationFile {
  /**
   * TypeORM's name for it, the one its history records: the class's `name` property when it
   * sets one, else the class name. It ends in the 13-digit timestamp TypeORM orders by.
   */
  readonly name: string;
  readonly timestamp: number;
  /** The exported class that defines it (may differ from `name`). */
  readonly className: string;
  /** Absolute path of the source file. */
  readonly file: string;
  /** sha256 of the source (line endings normalized), recorded when it is applied. */
  readonly checksum: string;
  readonly source: string;
  /** Conventions it does not follow, which TypeORM accepts (so do we): said, never refused. */
  readonly notes: readonly string[];
}

// TypeORM's glob for a migrations folder is `*.{ts,js}`: every such file is a migration file.
const SOURCE_FILE = /\.(ts|js|cts|mts|cjs|mjs)$/;
const TIMESTAMP_PREFIX = /^\d{13}[-_]/;
const TIMESTAMP_SUFFIX = /\d{13}$/;

export function checksumOf(source: string): string {
  return createHash('sha256').update(source.replace(/\r\n/g, '\n')).digest('hex');
}

interface DeclaredClass {
  readonly className: string;
  /** The `name` property's literal value, when the class sets one. */
  readonly nameProperty: string | null;
}

/**
 * The migration classes a source file exports, read from the text rather than by loading the
 * module, so that `status` costs one file read per migration, not one compilation
 * (typeorm/typeorm#4136). Covers what TypeORM's generator, its `migration:create` and hand-written
 * or compiled files use: `export class X`, `export default class X`, `class X` with
 * `exports.X = X`; `name = 'N'` as a class field or `this.name = 'N'` in a constructor.
 */
export function declaredClasses(source: string): DeclaredClass[] {
  const code = source.replace(/\/\*[\s\S]*?\*\//g, (c) => c.replace(/[^\n]/g, ' ')).replace(/(^|[^:'"`])\/\/.*$/gm, '$1');
  const starts = [...code.matchAll(/(^|[^\w$.])(export\s+(?:default\s+)?)?class\s+([A-Za-z_$][\w$]*)/g)].map((m) => ({
    at: m.index! + m[1]!.length,
    exported: !!m[2] || new RegExp(`(exports\\.${m[3]}\\s*=|module\\.exports\\s*=\\s*\\{[^}]*\\b${m[3]}\\b|export\\s*\\{[^}]*\\b${m[3]}\\b)`).test(code),
    className: m[3]!,
  }));
  return starts
    .map((s, i) => {
      const body = code.slice(s.at, starts[i + 1]?.at ?? code.length);
      const prop = /(?:^|[\s;{])(?:(?:public|readonly|override)\s+)*(?:this\.)?name\s*(?::\s*string\s*)?=\s*(['"`])([^'"`\n]+)\1/m.exec(body);
      return { exported: s.exported, className: s.className, nameProperty: prop ? prop[2]! : null };
    })
    .filter((c) => c.exported)
    .map(({ className, nameProperty }) => ({ className, nameProperty }));
}

/**
 * Reads the given migration files (each one, nothing else of its folder). Throws naming the
 * file when TypeORM itself would refuse it: a migration name without a 13-digit timestamp.
 */
export function readMigrationFile(file: string): MigrationFile[] {
  let source: string;
  try {
    source = readFileSync(file, 'utf8');
  } catch (err) {
    throw new MigratorError('usage', `${file} cannot be read: ${(err as Error).message}`, { file }, { cause: err });
  }
  const base = path.basename(file);
  return declaredClasses(source).map(({ className, nameProperty }): MigrationFile => {
    const name = nameProperty ?? className;
    if (!TIMESTAMP_SUFFIX.test(name)) {
      throw new MigratorError(
        'invalid_migration_file',
        `${file}: migration ${nameProperty ? `name '${name}' (class ${className})` : `class ${className}`} does not end in a 13-digit timestamp, ` +
          `which TypeORM requires too (it orders and records migrations by it): add one, e.g. ${className.replace(/\d+$/, '')}${Date.now()}`,
        { file },
      );
    }
    const timestamp = Number(name.slice(-13));
    const notes: string[] = [];
    if (!TIMESTAMP_PREFIX.test(base)) notes.push(`${base}: the file name does not start with the timestamp (${timestamp}-...), so the folder does not list in migration order`);
    if (nameProperty && nameProperty !== className) notes.push(`${base}: class ${className} records its migration as '${name}' (its name property): search for that name, not the class`);
    return { name, timestamp, className, file, checksum: checksumOf(source), source, notes };
  });
}

/**
 * Reads every migration of `dir` (TypeORM's `*.{ts,js}`), sorted by timestamp. Throws naming a
 * file TypeORM would refuse, or a name defined twice.
 */
export function readMigrationFiles(dir: string): MigrationFile[] {
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch (err) {
    throw new MigratorError('invalid_config', `migrations directory ${dir} cannot be read: ${(err as Error).message}`, {}, { cause: err });
  }
  const files = entries
    .filter((f) => SOURCE_FILE.test(f) && !/\.d\.[cm]?ts$/.test(f) && !f.endsWith('.map'))
    .flatMap((f) => readMigrationFile(path.join(dir, f)));
  return sortAndCheck(files);
}

export function sortAndCheck(files: MigrationFile[]): MigrationFile[] {
  files.sort((a, b) => a.timestamp - b.timestamp || a.name.localeCompare(b.name));
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
    (v): v is MigrationClass => typeof v === 'function' && (v as { name?: string }).name === migration.className,
  );
  if (!cls) {
    throw new MigratorError('invalid_migration_file', `${migration.file} does not export class ${migration.className}`, { file: migration.file });
  }
  const instance = new cls();
  // TypeORM records `instance.name ?? class name`: it must be the name the source text gave.
  const recorded = instance.name ?? cls.name;
  if (recorded !== migration.name) {
    throw new MigratorError(
      'invalid_migration_file',
      `${migration.file}: class ${migration.className} is recorded by TypeORM as '${recorded}', but its source reads as '${migration.name}'; ` +
        `write its name as a string literal (name = '${recorded}')`,
      { file: migration.file },
    );
  }
  return instance;
}
