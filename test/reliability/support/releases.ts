import { execFile } from 'node:child_process';
import { cp, mkdir, mkdtemp, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { transformSync } from '@swc/core';
import { REPO_ROOT } from './service-process';

/**
 * Two builds of the service side by side, as a deploy has them: release A is the production build
 * of this repository (`npm run build` -> dist/), release B the same plus one more migration (an
 * expand step). Each is a directory with its own dist/ (so its runtime knows its own migrations:
 * the glob is relative to the compiled files) and a link to the repository's node_modules.
 * `migrationsDir` holds release B's migration sources, for `npm run migrate -- up --dir`.
 */
export interface Releases {
  /** `node <entry>` runs that release's service. */
  readonly entryA: string;
  readonly entryB: string;
  /** The repository's migrations plus release B's, as TypeScript sources. */
  readonly migrationsDir: string;
  /** The name of release B's migration. */
  readonly migrationName: string;
  remove(): Promise<void>;
}

export async function buildReleases(migration: { className: string; up: string; down: string }): Promise<Releases> {
  await promisify(execFile)(process.execPath, ['scripts/build.js'], { cwd: REPO_ROOT });
  const root = await mkdtemp(path.join(tmpdir(), 'cathouse-releases-'));
  const release = async (name: string) => {
    const dir = path.join(root, name);
    await mkdir(dir);
    await cp(path.join(REPO_ROOT, 'dist'), path.join(dir, 'dist'), { recursive: true });
    await symlink(path.join(REPO_ROOT, 'node_modules'), path.join(dir, 'node_modules'));
    await cp(path.join(REPO_ROOT, 'package.json'), path.join(dir, 'package.json'));
    return dir;
  };
  const [a, b] = [await release('a'), await release('b')];

  const migrationsDir = path.join(root, 'migrations');
  await cp(path.join(REPO_ROOT, 'src/migrations'), migrationsDir, { recursive: true });
  const newest = Math.max(...(await readdir(migrationsDir)).map((f) => Number(/^(\d{13})/.exec(f)?.[1] ?? 0)));
  const timestamp = Math.max(Date.now(), newest + 1);
  const migrationName = `${migration.className}${timestamp}`;
  const source = `import type { MigrationInterface, QueryRunner } from 'typeorm';

export class ${migrationName} implements MigrationInterface {
  name = '${migrationName}';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(\`${migration.up}\`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(\`${migration.down}\`);
  }
}
`;
  await writeFile(path.join(migrationsDir, `${timestamp}-${migration.className}.ts`), source);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const options = require(path.join(REPO_ROOT, 'src/cli/swc-options.js')) as object;
  const { code } = transformSync(source, { ...options, filename: `${timestamp}-${migration.className}.ts` });
  await writeFile(path.join(b, 'dist/src/migrations', `${timestamp}-${migration.className}.js`), code);

  return {
    entryA: path.join(a, 'dist/src/main.js'),
    entryB: path.join(b, 'dist/src/main.js'),
    migrationsDir,
    migrationName,
    remove: () => rm(root, { recursive: true, force: true }),
  };
}
