#!/usr/bin/env node
'use strict';
/* eslint-disable @typescript-eslint/no-require-imports -- a CommonJS build script */
/**
 * `npm run build`: compiles the service (src/) and the workspace packages it imports
 * (packages/NAME/src/) to CommonJS in dist/, keeping the layout (dist/src/main.js,
 * dist/packages/catalog/src/index.js, ...), so that production runs `node dist/src/main.js` with
 * no TypeScript tooling in the process.
 *
 * swc, with the options every other path of this project uses (src/cli/swc-options.js):
 * legacy decorators WITH their design-type metadata (TypeORM reads it), no define semantics for
 * class fields. No type-checking here: `npm run typecheck` (tsc) is the gate for that, in CI.
 *
 * The workspace packages name `src/index.ts` as their main, which node cannot load; imports of
 * `@cathouse/NAME` are rewritten to the compiled package, relative to the importing file.
 */
const fs = require('node:fs');
const path = require('node:path');
const { transformFileSync } = require('@swc/core');

const ROOT = path.resolve(__dirname, '..');
const OUT = path.join(ROOT, 'dist');

const OPTIONS = { ...require('../src/cli/swc-options.js'), sourceMaps: true };

/** Every .ts file under `dir` except declarations. */
function sources(dir) {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts') && !e.name.endsWith('.d.ts'))
    .map((e) => path.join(e.parentPath ?? e.path, e.name));
}

/**
 * Workspace packages' entry points by import specifier: `@cathouse/catalog` -> its compiled main,
 * and each subpath of its `exports` (`@cathouse/migrator/read`) -> that file compiled.
 */
function workspacePackages() {
  const dir = path.join(ROOT, 'packages');
  const out = new Map();
  for (const name of fs.readdirSync(dir)) {
    const manifest = path.join(dir, name, 'package.json');
    if (!fs.existsSync(manifest)) continue;
    const pkg = JSON.parse(fs.readFileSync(manifest, 'utf8'));
    const compiled = (file) => path.join(OUT, 'packages', name, file.replace(/^\.\//, '').replace(/\.ts$/, '.js'));
    out.set(pkg.name, compiled(pkg.main ?? 'src/index.ts'));
    for (const [subpath, file] of Object.entries(pkg.exports ?? {})) {
      if (subpath !== '.' && typeof file === 'string') out.set(`${pkg.name}/${subpath.replace(/^\.\//, '')}`, compiled(file));
    }
  }
  return out;
}

function build() {
  const started = Date.now();
  const packages = workspacePackages();
  const files = [
    ...sources(path.join(ROOT, 'src')),
    ...[...new Set([...packages.values()].map((main) => path.join(ROOT, path.relative(OUT, path.dirname(main)))))].flatMap(sources),
  ];
  fs.rmSync(OUT, { recursive: true, force: true });
  const specifier = /require\("(@cathouse\/[a-z0-9-]+(?:\/[a-z0-9-]+)*)"\)/g;
  for (const file of files) {
    const target = path.join(OUT, path.relative(ROOT, file)).replace(/\.ts$/, '.js');
    const { code, map } = transformFileSync(file, { ...OPTIONS, filename: file, sourceFileName: path.relative(path.dirname(target), file) });
    const rewritten = code.replace(specifier, (whole, name) => {
      const main = packages.get(name);
      if (!main) return whole;
      let rel = path.relative(path.dirname(target), main).replace(/\\/g, '/');
      if (!rel.startsWith('.')) rel = `./${rel}`;
      return `require(${JSON.stringify(rel)})`;
    });
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.writeFileSync(target, `${rewritten}\n//# sourceMappingURL=${path.basename(target)}.map\n`);
    if (map) fs.writeFileSync(`${target}.map`, map);
  }
  // Issue 30: mail templates, error texts and the pages' words are JSON files a translator edits, each in a
  // `locales` folder beside its code: every such folder under src is copied as it is (a new catalogue needs no edit here).
  for (const dir of localeDirs(path.join(ROOT, 'src'))) {
    const rel = path.relative(ROOT, dir);
    fs.cpSync(dir, path.join(OUT, rel), { recursive: true });
  }
  process.stdout.write(`built ${files.length} files into ${path.relative(process.cwd(), OUT) || OUT} in ${Date.now() - started} ms\n`);
}

/** Every folder named `locales` under `dir`. */
function localeDirs(dir) {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    if (!entry.isDirectory()) return [];
    const full = path.join(dir, entry.name);
    return entry.name === 'locales' ? [full] : localeDirs(full);
  });
}

build();
