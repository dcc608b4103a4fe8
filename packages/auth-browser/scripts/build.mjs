// `npm run build` (and `npm pack`, through prepack): dist/esm and dist/cjs, each with declarations.
// `node scripts/build.mjs DIR` builds into DIR/esm and DIR/cjs instead (the tests, in parallel).
// dist/cjs gets a package.json of its own saying "commonjs", so Node and TypeScript read its .js
// and .d.ts files as CommonJS inside this "type": "module" package.
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const dist = path.resolve(process.argv[2] ?? path.join(root, 'dist'));

rmSync(dist, { recursive: true, force: true });
for (const config of ['tsconfig.json', 'tsconfig.cjs.json']) {
  const outDir = path.join(dist, config === 'tsconfig.json' ? 'esm' : 'cjs');
  execFileSync(process.execPath, [tsc, '-p', path.join(root, config), '--outDir', outDir], { stdio: 'inherit' });
}
mkdirSync(path.join(dist, 'cjs'), { recursive: true });
writeFileSync(path.join(dist, 'cjs', 'package.json'), '{ "type": "commonjs" }\n');
