import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';

const PACKAGE_DIR = path.resolve(__dirname, '../../packages/auth-browser');

/**
 * Builds @cathouse/auth-browser with its own tsconfig (what `npm run build -w @cathouse/auth-browser`
 * does) into `outDir` (default: the package's dist) and returns that directory.
 */
export async function buildAuthBrowser(outDir = path.join(PACKAGE_DIR, 'dist')): Promise<string> {
  const tsc = require.resolve('typescript/bin/tsc');
  await promisify(execFile)(process.execPath, [tsc, '-p', path.join(PACKAGE_DIR, 'tsconfig.json'), '--outDir', outDir]);
  return outDir;
}
