import { randomBytes } from 'node:crypto';
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { ROOT, start } from './support/cli';

/**
 * A service's entity package that fails to load, as a new user meets it. The broken copies live
 * in scratch/ and a preloaded resolver points `@cathouse/catalog` at them, so the real CLI loads
 * them exactly as it loads the real package (the repository's own files stay untouched).
 */
describe('an entity package that fails to load', () => {
  const scratch = path.join(ROOT, 'scratch/import-errors', randomBytes(6).toString('hex'));
  const broken = path.join(scratch, 'catalog-syntax');
  const noMain = path.join(scratch, 'catalog-no-main');
  const redirect = path.join(scratch, 'redirect.js');
  let db: TestDatabase;

  beforeAll(async () => {
    mkdirSync(scratch, { recursive: true });
    cpSync(path.join(ROOT, 'packages/catalog'), broken, { recursive: true });
    const entity = path.join(broken, 'src/cat.entity.ts');
    const lines = readFileSync(entity, 'utf8').split('\n');
    lines.splice(11, 0, 'export const half = ;'); // line 12
    writeFileSync(entity, lines.join('\n'));
    cpSync(path.join(ROOT, 'packages/catalog'), noMain, { recursive: true });
    const manifest = JSON.parse(readFileSync(path.join(noMain, 'package.json'), 'utf8'));
    writeFileSync(path.join(noMain, 'package.json'), JSON.stringify({ ...manifest, main: 'dist/index.js' }));
    writeFileSync(
      redirect,
      `const Module = require('node:module');
const resolve = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  return resolve.call(this, request === '@cathouse/catalog' ? process.env.CATALOG_PACKAGE : request, ...rest);
};
`,
    );
    db = await createTestDatabase({ migrated: false });
  });
  afterAll(async () => {
    await db.drop();
    rmSync(scratch, { recursive: true, force: true });
  });

  const migrateWith = (catalog: string, args: string[]) =>
    start('node', ['-r', './src/cli/register-ts.js', '-r', redirect, 'src/cli/main.ts', ...args], {
      MIGRATION_DATABASE_URL: db.url,
      CATALOG_PACKAGE: catalog,
    }).done;

  it.each([['generate', 'add-x'], ['check'], ['rehearse'], ['up'], ['down'], ['stamp', 'head'], ['upgrade', 'head', '--sql']])(
    'a syntax error: `%s` says the package, file and line, the cause and what to check, in one line, exit 2',
    async (...args) => {
      const r = await migrateWith(broken, args);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr.trim().split('\n')).toEqual([
        expect.stringMatching(
          /^error: cannot load the entities: @cathouse\/catalog, .*catalog-syntax\/src\/cat\.entity\.ts:12: syntax error: Expression expected; fix that file \(npx tsc --noEmit -p \. lists every error\)$/,
        ),
      ]);
    },
    30_000,
  );

  it('a package whose main points at a missing file: the package, its package.json, the missing file, what to check', async () => {
    const r = await migrateWith(noMain, ['generate', 'add-x']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(
        /^error: cannot load the entities: @cathouse\/catalog, .*catalog-no-main\/package\.json: its "main" points at .*catalog-no-main\/dist\/index\.js, which does not exist; check "main" in that package\.json/,
      ),
    ]);
  }, 30_000);

  it('status and history do not load entities and still work', async () => {
    const r = await migrateWith(broken, ['status']);
    expect(r.code).toBe(0);
  }, 30_000);
});
