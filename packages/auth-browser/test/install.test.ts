/**
 * The package as an app gets it: `npm pack`, then the tarball installed into a throwaway project
 * offline (nothing but the tarball is needed), and resolved there the ways apps resolve it: Node's
 * require and import, TypeScript (CommonJS and ES-module consumers), jest with its default
 * configuration (and React Native's export conditions), and Metro's resolver with Expo's settings
 * for iOS, Android and the web. None of them is given any configuration about this package.
 */
import { execFile } from 'node:child_process';
import { lstatSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { resolve as metroResolve } from 'metro-resolver';

const run = promisify(execFile);
const ROOT = path.resolve(__dirname, '../../..');
const PACKAGE_DIR = path.resolve(__dirname, '..');
const NAME = '@cathouse/auth-browser';

let work: string;
let project: string;
let installed: string;
let files: string[];

beforeAll(async () => {
  work = mkdtempSync(path.join(tmpdir(), 'cathouse-auth-browser-pack-'));
  // prepack builds dist/ first, so the tarball is what `npm publish` would upload.
  const { stdout } = await run('npm', ['pack', '--no-update-notifier', '--json', '--pack-destination', work], { cwd: PACKAGE_DIR });
  const [pack] = JSON.parse(stdout.slice(stdout.indexOf('['))) as Array<{ filename: string; files: Array<{ path: string }> }>;
  files = pack!.files.map((f) => f.path);
  project = path.join(work, 'app');
  await run('mkdir', ['-p', project]);
  writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: 'throwaway-app', version: '1.0.0', private: true }));
  await run('npm', ['install', '--offline', '--no-update-notifier', '--no-audit', '--no-fund', path.join(work, path.basename(pack!.filename))], { cwd: project });
  installed = path.join(project, 'node_modules', NAME);
}, 120_000);

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('npm pack and an install of the tarball', () => {
  it('ships the ES-module and CommonJS builds with their declarations, and no sources or tests', () => {
    for (const file of ['dist/esm/index.js', 'dist/esm/index.d.ts', 'dist/cjs/index.js', 'dist/cjs/index.d.ts', 'dist/cjs/package.json', 'dist/esm/react.js', 'dist/cjs/react.js', 'dist/esm/factors.js', 'dist/cjs/factors.d.ts', 'README.md', 'package.json']) {
      expect(files).toContain(file);
    }
    expect(files.filter((f) => f.startsWith('src/') || f.startsWith('test/') || f.startsWith('scripts/'))).toEqual([]);
  });

  it('installs as a folder of its own in node_modules, not a link', () => {
    expect(lstatSync(installed).isDirectory()).toBe(true);
    expect(lstatSync(installed).isSymbolicLink()).toBe(false);
    const manifest = JSON.parse(readFileSync(path.join(installed, 'package.json'), 'utf8')) as { private?: boolean; main: string };
    expect(manifest.private).toBeUndefined();
    expect(manifest.main).toBe('./dist/cjs/index.js');
  });

  it('require() gets the CommonJS build and import gets the ES-module build, with the same API', async () => {
    const script = `
      const cjs = require('${NAME}');
      const file = require.resolve('${NAME}');
      import('${NAME}').then(async (esm) => {
          const factors = await import('${NAME}/factors');
          console.log(JSON.stringify({ file, cjs: Object.keys(cjs).sort(), esm: Object.keys(esm).sort(), react: require.resolve('${NAME}/react'),
            factors: require.resolve('${NAME}/factors'), cjsFactors: Object.keys(require('${NAME}/factors')).sort(), esmFactors: Object.keys(factors).sort() }));
      });`;
    const { stdout } = await run(process.execPath, ['-e', script], { cwd: project });
    const result = JSON.parse(stdout) as { file: string; cjs: string[]; esm: string[]; react: string; factors: string; cjsFactors: string[]; esmFactors: string[] };
    expect(result.file).toBe(path.join(installed, 'dist/cjs/index.js'));
    expect(result.react).toBe(path.join(installed, 'dist/cjs/react.js'));
    expect(result.factors).toBe(path.join(installed, 'dist/cjs/factors.js'));
    expect(result.cjsFactors).toEqual(expect.arrayContaining(['listFactors', 'deleteTotp', 'regenerateRecoveryCodes', 'renamePasskey', 'deletePasskey', 'stepUp']));
    expect(result.esmFactors.filter((k) => k !== 'default')).toEqual(result.cjsFactors.filter((k) => k !== 'default'));
    expect(result.cjs).toEqual(expect.arrayContaining(['createAuthClient', 'attachAxios', 'AuthError', 'withPassword', 'localStorageAdapter', 'secureStoreAdapter']));
    expect(result.esm.filter((k) => k !== 'default')).toEqual(result.cjs.filter((k) => k !== 'default'));
    const { stdout: esmFile } = await run(process.execPath, ['--input-type=module', '-e', `console.log(import.meta.resolve('${NAME}'))`], { cwd: project });
    expect(esmFile.trim()).toBe(`file://${path.join(installed, 'dist/esm/index.js')}`);
  });

  it('type-checks for TypeScript apps, CommonJS and ES-module (node16) and bundler resolution', async () => {
    const use = `import { createAuthClient, type AuthUser, type SessionSnapshot } from '${NAME}';
      import { listFactors, type FactorOverview } from '${NAME}/factors';
      const auth = createAuthClient({ baseUrl: 'https://auth.cathouse.example/api/v1/auth' });
      const snapshot: SessionSnapshot = auth.getSnapshot();
      export const verified: boolean | undefined = (snapshot.user as AuthUser | null)?.email_verified;
      export const changed: Promise<AuthUser> = auth.account.updateProfile({ name: 'Mia' });
      export const factors: Promise<FactorOverview> = listFactors(auth);\n`;
    writeFileSync(path.join(project, 'use.cts'), use);
    writeFileSync(path.join(project, 'use.mts'), use);
    const tsc = path.join(ROOT, 'node_modules/typescript/bin/tsc');
    const common = ['--noEmit', '--strict', '--lib', 'ES2022,DOM', '--skipLibCheck', 'false'];
    await run(process.execPath, [tsc, ...common, '--module', 'node16', '--moduleResolution', 'node16', 'use.cts', 'use.mts'], { cwd: project });
    await run(process.execPath, [tsc, ...common, '--module', 'esnext', '--moduleResolution', 'bundler', 'use.mts'], { cwd: project });
  });

  it('jest resolves it with its default configuration, and with React Native export conditions', async () => {
    const test = (conditions: string) => `/** ${conditions} */
      const { createAuthClient, AuthError } = require('${NAME}');
      test('the package loads', () => {
        expect(require.resolve('${NAME}')).toContain('dist/cjs/index.js');
        expect(typeof createAuthClient).toBe('function');
        expect(new AuthError('signed_out', 'x').code).toBe('signed_out');
      });\n`;
    writeFileSync(path.join(project, 'default.test.js'), test(''));
    writeFileSync(path.join(project, 'native.test.js'), test('@jest-environment-options {"customExportConditions": ["require", "react-native"]}'));
    writeFileSync(path.join(project, 'jest.config.js'), 'module.exports = {};\n');
    const jest = path.join(ROOT, 'node_modules/jest/bin/jest.js');
    const { stderr } = await run(process.execPath, [jest, '--ci', '--rootDir', project, '--cacheDirectory', path.join(work, 'jest-cache')], { cwd: project });
    expect(stderr).toMatch(/Tests:\s+2 passed, 2 total/);
  }, 60_000);

  it("Metro's resolver (Expo's settings: package exports, react-native and browser conditions) finds it for every platform", async () => {
    const origin = path.join(project, 'App.js');
    const resolveFor = (platform: string, isESMImport: boolean, name = NAME) => {
      const warnings: string[] = [];
      const result = metroResolve(metroContext(origin, platform, isESMImport, warnings), name, platform);
      expect(warnings).toEqual([]);
      return result.type === 'sourceFile' ? path.relative(installed, result.filePath) : result.type;
    };
    for (const platform of ['ios', 'android']) {
      // Native: one copy, whether the app imports or requires it.
      expect(resolveFor(platform, true)).toBe(path.normalize('dist/cjs/index.js'));
      expect(resolveFor(platform, false)).toBe(path.normalize('dist/cjs/index.js'));
      expect(resolveFor(platform, true, `${NAME}/react`)).toBe(path.normalize('dist/cjs/react.js'));
      expect(resolveFor(platform, true, `${NAME}/factors`)).toBe(path.normalize('dist/cjs/factors.js'));
    }
    expect(resolveFor('web', true)).toBe(path.normalize('dist/esm/index.js'));
    expect(resolveFor('web', true, `${NAME}/factors`)).toBe(path.normalize('dist/esm/factors.js'));
    expect(resolveFor('web', false)).toBe(path.normalize('dist/cjs/index.js'));
    await expect(stat(path.join(installed, 'dist/esm/index.js'))).resolves.toBeTruthy();
    expect(await readFile(path.join(installed, 'dist/cjs/package.json'), 'utf8')).toContain('commonjs');
  });
});

/** A Metro resolution context as Expo's Metro config sets it up (resolver settings of @expo/metro-config for SDK 54). */
function metroContext(originModulePath: string, platform: string, isESMImport: boolean, warnings: string[]): Parameters<typeof metroResolve>[0] {
  const lookup = (p: string) => {
    try {
      const s = lstatSync(p);
      return { exists: true as const, type: s.isDirectory() ? ('d' as const) : ('f' as const), realPath: p };
    } catch {
      return { exists: false as const };
    }
  };
  const getPackage = (file: string) => {
    try {
      return JSON.parse(readFileSync(file, 'utf8'));
    } catch {
      return null;
    }
  };
  return {
    allowHaste: false,
    assetExts: new Set(['png', 'jpg']),
    customResolverOptions: Object.create(null),
    disableHierarchicalLookup: false,
    doesFileExist: (p: string) => lookup(p).exists && lookup(p).type === 'f',
    extraNodeModules: null,
    dev: false,
    getPackage,
    // As Metro's own: the closest package.json (this is what makes it read `exports`).
    getPackageForModule: (modulePath: string) => {
      for (let dir = modulePath; dir !== path.dirname(dir); dir = path.dirname(dir)) {
        const packageJson = getPackage(path.join(dir, 'package.json'));
        if (packageJson) return { rootPath: dir, packageJson, packageRelativePath: path.relative(dir, modulePath) };
      }
      return null;
    },
    isESMImport,
    fileSystemLookup: lookup,
    mainFields: platform === 'web' ? ['browser', 'module', 'main'] : ['react-native', 'browser', 'main'],
    originModulePath,
    nodeModulesPaths: [],
    preferNativePlatform: platform !== 'web',
    resolveAsset: () => null,
    redirectModulePath: (p: string) => p,
    resolveHasteModule: () => null,
    resolveHastePackage: () => null,
    sourceExts: ['ts', 'tsx', 'js', 'jsx', 'json', 'mjs', 'cjs'],
    unstable_conditionNames: [],
    unstable_conditionsByPlatform: { ios: ['react-native'], android: ['react-native'], web: ['browser'] },
    unstable_enablePackageExports: true,
    unstable_logWarning: (message: string) => warnings.push(message),
  } as unknown as Parameters<typeof metroResolve>[0];
}
