import { existsSync } from 'node:fs';
import path from 'node:path';
import type { DataSource } from 'typeorm';
import { MigratorError } from '../errors';
import { importModule } from '../migration-load';

/**
 * Loads the DataSource a file exports, as the TypeORM CLI's `-d` does (CommandUtils.loadDataSource):
 * the one export that is a DataSource instance, default or named. A TypeScript file needs a loader
 * in the user's project (TypeORM's CLI needs ts-node for the same file); one is registered when
 * installed, else the error says how to run it.
 */
export async function loadDataSourceFile(file: string): Promise<DataSource> {
  const resolved = path.resolve(file);
  if (!existsSync(resolved)) throw new MigratorError('invalid_config', `--data-source ${file}: no such file`);
  if (/\.[cm]?ts$/.test(resolved)) registerTypeScript(resolved);
  let exported: Record<string, unknown>;
  try {
    exported = (await importModule(resolved)) as Record<string, unknown>;
  } catch (err) {
    throw new MigratorError('import_failed', `--data-source ${file} cannot be loaded: ${firstLine(err)}`, { file: resolved }, { cause: err });
  }
  // As TypeORM's CommandUtils.loadDataSource: the module itself, else its one export that is (or resolves to) a DataSource.
  if (isDataSource(exported)) return exported;
  const found = (await Promise.all(Object.values(exported ?? {}))).filter(isDataSource);
  if (found.length !== 1) {
    throw new MigratorError(
      'invalid_config',
      `--data-source ${file} must export exactly one DataSource instance (as TypeORM's -d requires); it exports ${found.length}`,
      { file: resolved },
    );
  }
  return found[0]!;
}

/** TypeORM's own check (InstanceChecker): works across copies of TypeORM, unlike instanceof. */
function isDataSource(value: unknown): value is DataSource {
  return typeof value === 'object' && value !== null && (value as Record<string, unknown>)['@instanceof'] === Symbol.for('DataSource');
}

/** Loaders tried, in order, from the user's project (what TypeORM's docs suggest first). */
const TS_LOADERS = ['ts-node/register/transpile-only', '@swc-node/register', 'tsx/cjs'];

function registerTypeScript(file: string): void {
  if (require.extensions['.ts']) return;
  for (const loader of TS_LOADERS) {
    let entry: string;
    try {
      entry = require.resolve(loader, { paths: [path.dirname(file), process.cwd()] });
    } catch {
      continue;
    }
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    require(entry);
    return;
  }
  throw new MigratorError(
    'invalid_config',
    `--data-source ${file} is TypeScript and no TypeScript loader is installed: install ts-node (npm i -D ts-node), ` +
      'or run node -r ts-node/register node_modules/.bin/migrator ..., or point --data-source at the compiled JavaScript',
  );
}

const firstLine = (err: unknown) => String((err as Error)?.message ?? err).split('\n')[0];
