import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';

const PACKAGE_DIR = path.resolve(__dirname, '../../packages/auth-browser');

/**
 * Builds the ES-module half of @cathouse/auth-browser (its tsconfig.json; `npm run build -w
 * @cathouse/auth-browser` makes both halves) into `outDir` (default: the package's dist/esm) and
 * returns that directory: the plain-HTML example imports it with no bundler.
 */
export async function buildAuthBrowser(outDir = path.join(PACKAGE_DIR, 'dist', 'esm')): Promise<string> {
  const tsc = require.resolve('typescript/bin/tsc');
  await promisify(execFile)(process.execPath, [tsc, '-p', path.join(PACKAGE_DIR, 'tsconfig.json'), '--outDir', outDir]);
  return outDir;
}
