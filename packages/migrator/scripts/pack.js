#!/usr/bin/env node
'use strict';
/* eslint-disable @typescript-eslint/no-require-imports -- a CommonJS build script */
/**
 * `npm run pack -w @cathouse/migrator`: the package as it is installed elsewhere. Compiles src/ to
 * JavaScript with declarations (tsc, tsconfig.build.json) into dist/package/, writes its manifest
 * (main, types, exports and the `migrator` bin pointing at the compiled files; no TypeScript
 * loader needed at run time), copies the README, and packs it with `npm pack` into dist/.
 * Prints the tarball's path. In this repository the workspace itself is used from source
 * (package.json's main is src/index.ts, compiled by the repository's own loaders).
 */
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..');
const DIST = path.join(ROOT, 'dist');
const OUT = path.join(DIST, 'package');

function build() {
  fs.rmSync(OUT, { recursive: true, force: true });
  execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', path.join(ROOT, 'tsconfig.build.json')], { stdio: 'inherit' });
  const source = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
  const entry = (file) => ({ types: `./${file}.d.ts`, default: `./${file}.js` });
  const manifest = {
    name: source.name,
    version: source.version,
    description: source.description,
    license: source.license,
    keywords: source.keywords,
    engines: source.engines,
    main: './index.js',
    types: './index.d.ts',
    exports: { '.': entry('index'), './read': entry('read'), './cli': entry('cli/index'), './package.json': './package.json' },
    bin: { migrator: './cli/bin.js' },
    dependencies: source.dependencies,
    peerDependencies: source.peerDependencies,
  };
  fs.writeFileSync(path.join(OUT, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  fs.copyFileSync(path.join(ROOT, 'README.md'), path.join(OUT, 'README.md'));
  fs.chmodSync(path.join(OUT, 'cli/bin.js'), 0o755);
  const out = execFileSync('npm', ['pack', OUT, '--pack-destination', DIST, '--silent'], { encoding: 'utf8' }).trim().split('\n').at(-1);
  return path.join(DIST, out);
}

if (require.main === module) process.stdout.write(`${build()}\n`);
module.exports = { build };
