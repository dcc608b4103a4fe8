import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { globSync } from 'tinyglobby';
import type { MigrationInterface } from 'typeorm';
import { MigratorError } from './errors';
import { checksumOfClass, checksumOfLiterals, legacyChecksumOf } from './migration-checksum';
import { exportedClasses, importMigrationModule, instantiate, loadFile, type ClassLike, type MigrationClass } from './migration-load';
import { scanSource } from './source-scan';

/** A migration as found: what `status` needs, loaded only when the text alone cannot say. */
export interface MigrationFile {
  /**
   * TypeORM's name for it, the one its history records: the instance's `name` property when it
   * sets one, else the class name. It ends in the 13-digit timestamp TypeORM orders by.
   */
  readonly name: string;
  readonly timestamp: number;
  /** The class that defines it (may differ from `name`). */
  readonly className: string;
  /** Absolute path of the file that defines it; `<class X>` for a class handed over directly. */
  readonly file: string;
  /** The checksum recorded when it is applied (migration-checksum.ts): survives formatting and compilation. */
  readonly checksum: string;
  /** The checksum of the file's text as recorded before checksums of version 2 (adoption). */
  readonly legacyChecksum: string | null;
  readonly source: string;
  /** Conventions it does not follow, which TypeORM accepts (so do we): said, never refused. */
  readonly notes: readonly string[];
  /** Set when the file had to be loaded to be named. */
  readonly instance?: MigrationInterface;
}

/** TypeORM's `migrations` option: globs of files and migration classes, as an array or an object of them. */
export type MigrationsOption = readonly (string | ClassLike)[] | Readonly<Record<string, string | ClassLike>>;

/**
 * Where migrations come from, as TypeORM takes them: a folder (its `*.{js,ts,...}` files), the
 * DataSource's `migrations` option (globs and classes, any number of folders), or a provider
 * (Kysely's MigrationProvider is the model) returning classes or instances.
 */
export type MigrationSource =
  | string
  | {
      readonly migrations?: MigrationsOption;
      readonly provider?: () => Promise<readonly (ClassLike | MigrationInterface)[]> | readonly (ClassLike | MigrationInterface)[];
    };

/** The file extensions TypeORM loads from a glob (DirectoryExportedClassesLoader); declarations are not migrations. */
const FORMATS = ['.js', '.mjs', '.cjs', '.ts', '.mts', '.cts'];
const TIMESTAMP_PREFIX = /^\d{13}[-_]/;

/** TypeORM's glob for a folder of migrations. */
export function folderGlob(dir: string): string {
  return path.join(dir, '*.{js,mjs,cjs,ts,mts,cts}').split(path.sep).join('/');
}

/** The folder new migration files go to (create, generate): the folder itself, or the first glob's. */
export function sourceFolder(source: MigrationSource): string | null {
  if (typeof source === 'string') return source;
  const first = Object.values(source.migrations ?? {}).find((m): m is string => typeof m === 'string');
  if (!first) return null;
  const parts = first.split(/[/\\]/);
  const wild = parts.findIndex((p) => /[*?{[]/.test(p));
  return path.resolve(parts.slice(0, wild < 0 ? -1 : wild).join('/') || '.');
}

/** Every migration of the source, sorted by timestamp. Throws naming a file TypeORM would refuse, or a name defined twice. */
export async function listMigrations(source: MigrationSource): Promise<MigrationFile[]> {
  // A folder that is not there is a mistake (a typo in --dir), not an empty history.
  if (typeof source === 'string' && !statSync(source, { throwIfNoEntry: false })?.isDirectory()) {
    throw new MigratorError('invalid_config', `migrations directory ${source} cannot be read: it is not a directory`);
  }
  const spec = typeof source === 'string' ? { migrations: [folderGlob(source)] } : source;
  const entries = Object.values(spec.migrations ?? {});
  const files = globFiles(entries.filter((m): m is string => typeof m === 'string'));
  const found: MigrationFile[] = [];
  for (const file of files) found.push(...(await readMigrationFile(file)));
  for (const cls of entries.filter((m): m is ClassLike => typeof m === 'function')) found.push(fromClass(cls as MigrationClass));
  if (spec.provider) {
    for (const m of await spec.provider()) {
      found.push(typeof m === 'function' ? fromClass(m as MigrationClass) : fromInstance(m as MigrationInterface));
    }
  }
  return sortAndCheck(found);
}

function globFiles(globs: readonly string[]): string[] {
  const files = globs.flatMap((g) => {
    // A folder given as is (not a glob) reads as TypeORM's glob for it would.
    const pattern = /[*?{[]/.test(g) ? g : folderGlob(g);
    return globSync(pattern.split(path.sep).join('/'), { absolute: true }).map((f) => path.resolve(f));
  });
  return [...new Set(files)].filter((f) => FORMATS.includes(path.extname(f)) && !/\.d\.[cm]?ts$/.test(f)).sort();
}

/** Reads the files of a folder without loading any (create: the newest timestamp). */
export function newestTimestamp(dir: string): number {
  let newest = 0;
  for (const f of readdirSync(dir)) {
    const m = /^(\d{13})[-_]/.exec(f);
    if (m) newest = Math.max(newest, Number(m[1]));
  }
  return newest;
}

/**
 * The migrations one file defines. Read from its text when the text is certain (the usual
 * shapes: `export class`, `export default class X`, `module.exports = class X`, `exports.X = X`
 * with a literal `name` or none); else loaded and named from the instances, as TypeORM does.
 */
export async function readMigrationFile(file: string): Promise<MigrationFile[]> {
  let source: string;
  try {
    source = readFileSync(file, 'utf8');
  } catch (err) {
    throw new MigratorError('usage', `${file} cannot be read: ${(err as Error).message}`, { file }, { cause: err });
  }
  const known = readFiles.get(file);
  if (known?.source === source) return known.found;
  const found = await migrationsOfText(file, source);
  if (found.every((m) => !m.instance)) readFiles.set(file, { source, found });
  return found;
}

/**
 * What readMigrationFile found in each file from its text alone, with that text. One `up` lists
 * the migrations several times (the lint gate, the state, the run), and scanning the text is most
 * of a listing: a file whose text is unchanged, byte for byte, is not scanned again. Kept by text,
 * not by mtime, so an edit is always seen; a file that had to be loaded is not kept, so each
 * listing has instances of its own, as before.
 */
const readFiles = new Map<string, { readonly source: string; readonly found: MigrationFile[] }>();

async function migrationsOfText(file: string, source: string): Promise<MigrationFile[]> {
  const legacyChecksum = legacyChecksumOf(source);
  const scan = scanSource(source);
  if (scan.sure) {
    return scan.classes.map(({ className, nameProperty, literals }) => {
      const name = nameProperty ?? className;
      if (!/\d{13}$/.test(name)) {
        throw new MigratorError(
          'invalid_migration_file',
          `${file}: migration ${nameProperty ? `name '${name}' (class ${className})` : `class ${className}`} does not end in a 13-digit timestamp, ` +
            `which TypeORM requires too (it orders and records migrations by it): add one, e.g. ${className.replace(/\d+$/, '')}${Date.now()}`,
          { file },
        );
      }
      return entry({ name, className, file, checksum: checksumOfLiterals(name, literals), legacyChecksum, source });
    });
  }
  return (await loadFile(file)).map(({ name, cls, instance }) =>
    entry({ name, className: cls.name || '(anonymous class)', file, checksum: checksumOfClass(name, cls), legacyChecksum, source, instance }),
  );
}

function fromClass(cls: MigrationClass): MigrationFile {
  const { name, instance } = instantiate(cls, `class ${cls.name || '(anonymous)'}`);
  const source = Function.prototype.toString.call(cls);
  return entry({ name, className: cls.name, file: `<class ${cls.name || name}>`, checksum: checksumOfClass(name, cls), legacyChecksum: null, source, instance });
}

function fromInstance(instance: MigrationInterface): MigrationFile {
  const cls = instance.constructor as MigrationClass;
  const name = instance.name ?? cls.name;
  if (!/\d{13}$/.test(name)) instantiate(cls, `the provider's migration ${name}`);
  return entry({ name, className: cls.name, file: `<class ${cls.name || name}>`, checksum: checksumOfClass(name, cls), legacyChecksum: null, source: '', instance });
}

function entry(m: Omit<MigrationFile, 'timestamp' | 'notes'>): MigrationFile {
  const notes: string[] = [];
  const base = path.basename(m.file);
  const timestamp = Number(m.name.slice(-13));
  if (!m.file.startsWith('<') && !TIMESTAMP_PREFIX.test(base)) {
    notes.push(`${base}: the file name does not start with the timestamp (${timestamp}-...), so the folder does not list in migration order`);
  }
  if (m.name !== m.className) notes.push(`${base}: class ${m.className} records its migration as '${m.name}' (its name property): search for that name, not the class`);
  return { ...m, timestamp, notes };
}

/** Every migration of a folder or source (the name of earlier versions). */
export const readMigrationFiles = (source: MigrationSource): Promise<MigrationFile[]> => listMigrations(source);

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

/**
 * The instance of a migration: the one loaded to name it, else its file loaded now (through the
 * registered loader for TypeScript) and the class TypeORM would name the same.
 */
export async function loadMigration(migration: MigrationFile): Promise<MigrationInterface> {
  if (migration.instance) return migration.instance;
  const found = exportedClasses(await importMigrationModule(migration.file));
  const named = found.map((cls) => instantiate(cls, migration.file)).find((l) => l.name === migration.name);
  if (!named) {
    throw new MigratorError('invalid_migration_file', `${migration.file}: no exported class is named ${migration.name} once loaded; its text reads as that name`, {
      file: migration.file,
    });
  }
  return named.instance;
}
