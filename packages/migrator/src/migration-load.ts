import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { MigrationInterface } from 'typeorm';
import { MigratorError } from './errors';

/**
 * Loads migration files as TypeORM does (DirectoryExportedClassesLoader, ImportUtils): .mjs/.mts
 * and files under a package.json of "type": "module" by import(), the rest by require(); every
 * exported function, found through objects and arrays, is a migration class, and each is
 * instantiated; its name is the instance's `name`, else its class name (MigrationExecutor).
 */

/** TypeORM's own type for migration classes in DataSourceOptions.migrations. */
// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type -- what TypeORM accepts there
export type ClassLike = Function;

export type MigrationClass = new () => MigrationInterface;

export interface LoadedMigration {
  readonly name: string;
  readonly cls: MigrationClass;
  readonly instance: MigrationInterface;
}

/** A module as TypeORM's importOrRequireFile loads it: import() for ES modules, require() for the rest. */
export async function importModule(file: string): Promise<unknown> {
  const ext = path.extname(file);
  const esm = ext === '.mjs' || ext === '.mts' || ((ext === '.js' || ext === '.ts') && nearestPackageType(file) === 'module');
  if (!esm) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require(file);
  }
  // A real import(), which a CommonJS build must keep (TypeORM does the same).
  const load = new Function('url', 'return import(url)') as (url: string) => Promise<unknown>;
  return load(pathToFileURL(file).href);
}

export async function importMigrationModule(file: string): Promise<unknown> {
  try {
    return await importModule(file);
  } catch (err) {
    throw new MigratorError('invalid_migration_file', `${file} cannot be loaded: ${String((err as Error)?.message ?? err).split('\n')[0]}`, { file }, { cause: err });
  }
}

function nearestPackageType(file: string): string | undefined {
  for (let dir = path.dirname(file); ; dir = path.dirname(dir)) {
    const manifest = path.join(dir, 'package.json');
    if (existsSync(manifest)) {
      try {
        return (JSON.parse(readFileSync(manifest, 'utf8')) as { type?: string }).type;
      } catch {
        return undefined;
      }
    }
    if (dir === path.dirname(dir)) return undefined;
  }
}

/** Every exported function, as TypeORM's loadFileClasses collects them. */
export function exportedClasses(exported: unknown, into: MigrationClass[] = []): MigrationClass[] {
  if (typeof exported === 'function') into.push(exported as MigrationClass);
  else if (Array.isArray(exported)) for (const v of exported) exportedClasses(v, into);
  else if (typeof exported === 'object' && exported !== null && (exported as Record<string, unknown>)['@instanceof'] !== Symbol.for('EntitySchema')) {
    for (const v of Object.values(exported)) exportedClasses(v, into);
  }
  return into;
}

/** Instantiates a class and names it as TypeORM does; refuses a name TypeORM would refuse, naming where it came from. */
export function instantiate(cls: MigrationClass, where: string): LoadedMigration {
  let instance: MigrationInterface;
  try {
    instance = new cls();
  } catch (err) {
    throw new MigratorError('invalid_migration_file', `${where}: ${cls.name || 'an exported function'} cannot be instantiated: ${(err as Error)?.message ?? err}`, {}, { cause: err });
  }
  const name = instance.name ?? instance.constructor.name;
  if (typeof name !== 'string' || !/\d{13}$/.test(name)) {
    throw new MigratorError(
      'invalid_migration_file',
      `${where}: migration ${name === cls.name ? `class ${cls.name}` : `name '${name}' (class ${cls.name || 'anonymous'})`} does not end in a 13-digit timestamp, ` +
        `which TypeORM requires too (it orders and records migrations by it): add one, e.g. ${(cls.name || 'Migration').replace(/\d+$/, '')}${Date.now()}`,
      {},
    );
  }
  return { name, cls, instance };
}

/** The migrations of one file, loaded. */
export async function loadFile(file: string): Promise<LoadedMigration[]> {
  return exportedClasses(await importMigrationModule(file)).map((cls) => instantiate(cls, file));
}
